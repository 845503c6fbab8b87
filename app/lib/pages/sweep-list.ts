// The sweeps list: newest first, name search, counts per status and the best
// objective value per method, in three SQL statements whatever the page size.
import { getPool, objectiveOfSweep, type Db, type SweepStatus, type TrialCounts } from '@peft-lab/db';
import { chartObjective } from './trial-numbers';
import type { Objective } from './chart-types';

export interface SweepListItem {
  id: string;
  name: string;
  status: SweepStatus;
  task: string;
  createdAt: Date;
  finishedAt: Date | null;
  counts: TrialCounts;
  objective: Objective;
  best: { method: string; value: number }[];
}

const emptyCounts = (): TrialCounts => ({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0, pruned: 0, total: 0 });

export async function listSweepsForPage(db: Db, opts: { q?: string; page?: number; pageSize?: number }): Promise<{ items: SweepListItem[]; total: number }> {
  const pool = getPool(db);
  const pageSize = opts.pageSize ?? 25;
  const offset = (opts.page ?? 0) * pageSize;
  const q = opts.q?.trim() ? `%${opts.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const [sweeps, total] = await Promise.all([
    pool.query<{ id: string; name: string; status: SweepStatus; task: string; spec: unknown; datasetId: string | null; taskKind: string | null; createdAt: Date; finishedAt: Date | null }>(
      `SELECT s."id", s."name", s."status", s."task", s."spec", s."datasetId", d."taskKind", s."createdAt", s."finishedAt"
       FROM "Sweep" s LEFT JOIN "Dataset" d ON d."id" = s."datasetId"
       WHERE ($1::text IS NULL OR s."name" ILIKE $1) ORDER BY s."createdAt" DESC LIMIT ${pageSize} OFFSET ${offset}`, [q]),
    pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Sweep" WHERE ($1::text IS NULL OR "name" ILIKE $1)`, [q]),
  ]);
  const ids = sweeps.rows.map((s) => s.id);
  const [counts, extremes] = ids.length ? await Promise.all([
    pool.query<{ sweepId: string; status: keyof TrialCounts; n: number }>(
      `SELECT "sweepId", "status", count(*)::int AS n FROM "Trial" WHERE "sweepId" = ANY($1::text[]) GROUP BY 1, 2`, [ids]),
    pool.query<{ sweepId: string; method: string; key: string; max: number; min: number }>(
      `SELECT t."sweepId", t."method", kv.key, max(kv.value::text::float8) AS max, min(kv.value::text::float8) AS min
       FROM "Trial" t, jsonb_each(t."summary") kv
       WHERE t."sweepId" = ANY($1::text[]) AND t."status" = 'completed' AND jsonb_typeof(t."summary") = 'object' AND jsonb_typeof(kv.value) = 'number'
       GROUP BY 1, 2, 3`, [ids]),
  ]) : [{ rows: [] }, { rows: [] }];
  const items = sweeps.rows.map((s): SweepListItem => {
    const c = emptyCounts();
    for (const r of counts.rows) if (r.sweepId === s.id) { c[r.status] = r.n; c.total += r.n; }
    const mine = extremes.rows.filter((r) => r.sweepId === s.id);
    const objective = chartObjective(objectiveOfSweep({ ...s, dataset: s.taskKind ? { taskKind: s.taskKind } : null }),
      [Object.fromEntries(mine.map((r) => [r.key, 0]))].filter((o) => Object.keys(o).length));
    const best = mine.filter((r) => r.key === objective.key)
      .map((r) => ({ method: r.method, value: objective.direction === 'maximize' ? r.max : r.min }))
      .sort((a, b) => (objective.direction === 'maximize' ? b.value - a.value : a.value - b.value));
    return { id: s.id, name: s.name, status: s.status, task: s.task, createdAt: s.createdAt, finishedAt: s.finishedAt, counts: c, objective, best };
  });
  return { items, total: total.rows[0].n };
}
