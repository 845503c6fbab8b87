import { getPool, getSweepObjective, type Db } from '@peft-lab/db';
import type { Objective } from './chart-types';
import { chartObjective } from './trial-numbers';

/** The sweep's objective, with the summary key its finished trials actually wrote. */
export async function sweepObjective(db: Db, sweepId: string): Promise<Objective> {
  const [objective, { rows }] = await Promise.all([
    getSweepObjective(db, sweepId),
    getPool(db).query<{ summary: unknown }>(
      `SELECT "summary" FROM "Trial" WHERE "sweepId" = $1 AND "status" = 'completed' AND "summary" IS NOT NULL LIMIT 20`, [sweepId]),
  ]);
  return chartObjective(objective, rows.map((r) => r.summary));
}

export async function sweepMethods(db: Db, sweepId: string): Promise<string[]> {
  const { rows } = await getPool(db).query<{ method: string }>(`SELECT DISTINCT "method" FROM "Trial" WHERE "sweepId" = $1 ORDER BY 1`, [sweepId]);
  return rows.map((r) => r.method);
}
