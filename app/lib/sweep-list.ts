// The sweeps list of the dashboard: search, status filter, paging, progress counts
// and the best objective value per method — three queries whatever the page size.
import { getPool, type Db, type SweepStatus, type TrialStatus } from '@peft-lab/db';
import { sweepObjective, type Objective } from './objective';

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
  objective: Objective;
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
  const objectives = new Map(rows.map((r) => [r.id, sweepObjective(r.spec, r.task, r.dataset?.taskKind)]));
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
    objective: objectives.get(r.id)!,
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
 * summary[metric], else summary["eval_" + metric] (the report package's rule).
 */
export async function bestPerMethod(db: Db, objectives: Map<string, Objective>): Promise<Map<string, BestOfMethod[]>> {
  const out = new Map<string, BestOfMethod[]>();
  if (!objectives.size) return out;
  const ids = [...objectives.keys()];
  const metrics = ids.map((id) => objectives.get(id)!.metric);
  const signs = ids.map((id) => (objectives.get(id)!.direction === 'maximize' ? -1 : 1));
  const { rows } = await getPool(db).query<{ sweepId: string; method: string; value: number; trialId: string }>(
    `SELECT DISTINCT ON (v."sweepId", v."method") v."sweepId", v."method", v.value, v."trialId"
     FROM (
       SELECT t."sweepId", t."method", t."id" AS "trialId", o.sign,
              CASE WHEN jsonb_typeof(t."summary" -> o.metric) = 'number' THEN (t."summary" ->> o.metric)::float8
                   WHEN jsonb_typeof(t."summary" -> ('eval_' || o.metric)) = 'number' THEN (t."summary" ->> ('eval_' || o.metric))::float8
              END AS value
       FROM "Trial" t JOIN unnest($1::text[], $2::text[], $3::int[]) AS o(sid, metric, sign) ON t."sweepId" = o.sid
       WHERE t."status" = 'completed') v
     WHERE v.value IS NOT NULL AND v.value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)
     ORDER BY v."sweepId", v."method", v.value * v.sign ASC, v."trialId"`,
    [ids, metrics, signs],
  );
  for (const r of rows) (out.get(r.sweepId) ?? out.set(r.sweepId, []).get(r.sweepId)!).push({ method: r.method, value: r.value, trialId: r.trialId });
  return out;
}
