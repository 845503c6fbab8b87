// The sweeps list of the dashboard: search, status filter, paging, progress counts
// and the best objective value per method — three queries whatever the page size.
import { getPool, objectiveOfSweep, type Db, type SweepObjective, type SweepStatus, type TrialStatus } from '@peft-lab/db';

export type ProgressCounts = Record<TrialStatus, number> & { total: number };

export interface BestOfMethod {
  method: string;
  value: number;
  trialId: string;
}

export interface SweepListItem {
  id: string;
  name: string;
  task: string;
  status: SweepStatus;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  maxParallel: number | null;
  objective: { metric: string; direction: 'maximize' | 'minimize' };
  counts: ProgressCounts;
  best: BestOfMethod[];
}

export interface SweepListQuery {
  q?: string;
  status?: SweepStatus[];
  page: number;
  pageSize: number;
}

const emptyCounts = (): ProgressCounts => ({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0, pruned: 0, total: 0 });

export async function listSweepsPage(db: Db, query: SweepListQuery): Promise<{ items: SweepListItem[]; total: number; page: number; pageSize: number }> {
  const where = {
    ...(query.q ? { name: { contains: query.q, mode: 'insensitive' as const } } : {}),
    ...(query.status?.length ? { status: { in: query.status } } : {}),
  };
  const [rows, total] = await Promise.all([
    db.sweep.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      skip: query.page * query.pageSize,
      take: query.pageSize,
      include: { dataset: { select: { taskKind: true } } },
    }),
    db.sweep.count({ where }),
  ]);
  const ids = rows.map((r) => r.id);
  const objectives = new Map(rows.map((r) => [r.id, objectiveOfSweep(r)]));
  const [counts, best] = await Promise.all([countsOf(db, ids), bestPerMethod(db, objectives)]);
  const items = rows.map((r) => ({
    id: r.id,
    name: r.name,
    task: r.task,
    status: r.status,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    maxParallel: r.maxParallel,
    objective: { metric: objectives.get(r.id)!.metric, direction: objectives.get(r.id)!.direction },
    counts: counts.get(r.id) ?? emptyCounts(),
    best: best.get(r.id) ?? [],
  }));
  return { items, total, page: query.page, pageSize: query.pageSize };
}

async function countsOf(db: Db, ids: string[]): Promise<Map<string, ProgressCounts>> {
  const out = new Map<string, ProgressCounts>();
  if (!ids.length) return out;
  const { rows } = await getPool(db).query<{ sweepId: string; status: TrialStatus; n: number }>(
    `SELECT "sweepId", "status", count(*)::int AS n FROM "Trial" WHERE "sweepId" = ANY($1::text[]) GROUP BY 1, 2`, [ids]);
  for (const r of rows) {
    const c = out.get(r.sweepId) ?? out.set(r.sweepId, emptyCounts()).get(r.sweepId)!;
    c[r.status] = r.n;
    c.total += r.n;
  }
  return out;
}

/**
 * Best completed trial per (sweep, method) by each sweep's objective; a trial's value is
 * summary[summaryKey], else summary[metric] (older summaries).
 */
export async function bestPerMethod(db: Db, objectives: Map<string, SweepObjective>): Promise<Map<string, BestOfMethod[]>> {
  const out = new Map<string, BestOfMethod[]>();
  if (!objectives.size) return out;
  const ids = [...objectives.keys()];
  const keys = ids.map((id) => objectives.get(id)!.summaryKey);
  const metrics = ids.map((id) => objectives.get(id)!.metric);
  const signs = ids.map((id) => (objectives.get(id)!.direction === 'maximize' ? -1 : 1));
  const { rows } = await getPool(db).query<{ sweepId: string; method: string; value: number; trialId: string }>(
    `SELECT DISTINCT ON (v."sweepId", v."method") v."sweepId", v."method", v.value, v."trialId"
     FROM (
       SELECT t."sweepId", t."method", t."id" AS "trialId", o.sign,
              CASE WHEN jsonb_typeof(t."summary" -> o.key) = 'number' THEN (t."summary" ->> o.key)::float8
                   WHEN jsonb_typeof(t."summary" -> o.metric) = 'number' THEN (t."summary" ->> o.metric)::float8
              END AS value
       FROM "Trial" t JOIN unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS o(sid, key, metric, sign) ON t."sweepId" = o.sid
       WHERE t."status" = 'completed') v
     WHERE v.value IS NOT NULL AND v.value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)
     ORDER BY v."sweepId", v."method", v.value * v.sign ASC, v."trialId"`,
    [ids, keys, metrics, signs],
  );
  for (const r of rows) (out.get(r.sweepId) ?? out.set(r.sweepId, []).get(r.sweepId)!).push({ method: r.method, value: r.value, trialId: r.trialId });
  return out;
}
