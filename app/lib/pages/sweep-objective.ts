import { listTasks } from '@peft-lab/data/catalog';
import { getPool, type Db } from '@peft-lab/db';
import type { Objective } from './chart-types';
import { resolveObjective } from './trial-numbers';

/** The sweep's objective, from its spec and the summary keys its finished trials actually wrote. */
export async function sweepObjective(db: Db, sweepId: string, spec: unknown): Promise<Objective> {
  const { rows } = await getPool(db).query<{ summary: unknown }>(
    `SELECT "summary" FROM "Trial" WHERE "sweepId" = $1 AND "status" = 'completed' AND "summary" IS NOT NULL LIMIT 20`, [sweepId]);
  return resolveObjective(spec, rows.map((r) => r.summary), taskMetric(spec));
}

/** The built-in task's primary metric (undefined for imported datasets). */
export function taskMetric(spec: unknown): string | undefined {
  const task = (spec as { task?: string } | null)?.task;
  return task ? listTasks().find((t) => t.name === task)?.metric : undefined;
}

export async function sweepMethods(db: Db, sweepId: string): Promise<string[]> {
  const { rows } = await getPool(db).query<{ method: string }>(`SELECT DISTINCT "method" FROM "Trial" WHERE "sweepId" = $1 ORDER BY 1`, [sweepId]);
  return rows.map((r) => r.method);
}
