// The sweeps list of the API, the dashboard's home page and the CLI: name search, status
// filter, paging (newest first), trial counts per status and the best completed trial per
// method by each sweep's objective — four statements whatever the page size.
import { getPool, type Db } from './client';
import { InvalidArgumentError } from './errors';
import type { SweepStatus, TrialStatus } from './generated/enums';
import { objectiveOfSweep, type SweepObjective } from './objective';
import { SWEEP_IS_ADAPTIVE, SWEEP_MAX_TRIALS } from './queue/adaptive-sql';

/** Trials of a sweep per status. */
export type TrialCounts = Record<TrialStatus, number> & {
  /** Trial rows the sweep has (the sum of the statuses). */
  total: number;
  /**
   * Trials the sweep will have: `total`, except for an adaptive (tpe) sweep still queued or
   * running, whose trials are suggested one at a time — budget.maxTrials then (or `total`
   * when retries went past it). Progress is "completed of planned".
   */
  planned: number;
};

export const emptyCounts = (): TrialCounts => ({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0, pruned: 0, total: 0, planned: 0 });

/** Trial counts per status of each sweep (every id gets an entry). */
export async function countsBySweep(db: Db, sweepIds: string[]): Promise<Map<string, TrialCounts>> {
  const map = new Map(sweepIds.map((id) => [id, emptyCounts()]));
  if (sweepIds.length === 0) return map;
  const pool = getPool(db);
  const [counts, budgets] = await Promise.all([
    pool.query<{ sweepId: string; status: TrialStatus; n: number }>(
      `SELECT "sweepId", "status", count(*)::int AS n FROM "Trial" WHERE "sweepId" = ANY($1::text[]) GROUP BY 1, 2`,
      [sweepIds],
    ),
    // An open adaptive sweep's rows are only the trials suggested so far: its budget is in the spec.
    pool.query<{ id: string; maxTrials: number }>(
      `SELECT s."id", ${SWEEP_MAX_TRIALS} AS "maxTrials" FROM "Sweep" s
       WHERE s."id" = ANY($1::text[]) AND ${SWEEP_IS_ADAPTIVE} AND s."status" IN ('queued', 'running')`,
      [sweepIds],
    ),
  ]);
  for (const r of counts.rows) {
    const c = map.get(r.sweepId)!;
    c[r.status] = r.n;
    c.total += r.n;
  }
  const maxTrials = new Map(budgets.rows.map((r) => [r.id, r.maxTrials]));
  for (const [id, c] of map) c.planned = Math.max(c.total, maxTrials.get(id) ?? 0);
  return map;
}

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
  objective: SweepObjective;
  counts: TrialCounts;
  /** The best completed trial of each method by the objective, best first. */
  best: BestOfMethod[];
}

export interface ListSweepsOptions {
  /** Name substring, case-insensitive. */
  q?: string;
  status?: SweepStatus[];
  page?: number;
  /** Default 20, at most 1000. */
  pageSize?: number;
}

/** A page of sweeps, newest first, with counts, objective and best trial per method. @throws InvalidArgumentError */
export async function listSweeps(db: Db, opts: ListSweepsOptions = {}): Promise<{ items: SweepListItem[]; total: number; page: number; pageSize: number }> {
  const page = opts.page ?? 0;
  const pageSize = opts.pageSize ?? 20;
  if (!Number.isInteger(page) || page < 0) throw new InvalidArgumentError('page', page, 'must be an integer ≥ 0');
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new InvalidArgumentError('pageSize', pageSize, 'must be an integer in 1..1000');
  const q = opts.q?.trim() ? `%${opts.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const status = opts.status?.length ? opts.status : null;
  const where = `($1::text IS NULL OR s."name" ILIKE $1) AND ($2::"SweepStatus"[] IS NULL OR s."status" = ANY($2::"SweepStatus"[]))`;
  const pool = getPool(db);
  const [rows, total] = await Promise.all([
    pool.query<Omit<SweepListItem, 'objective' | 'counts' | 'best'> & { spec: unknown; datasetId: string | null; taskKind: string | null }>(
      `SELECT s."id", s."name", s."task", s."status", s."createdAt", s."startedAt", s."finishedAt", s."maxParallel",
              s."spec", s."datasetId", d."taskKind"
       FROM "Sweep" s LEFT JOIN "Dataset" d ON d."id" = s."datasetId"
       WHERE ${where} ORDER BY s."createdAt" DESC, s."id" LIMIT ${pageSize} OFFSET ${page * pageSize}`, [q, status]),
    pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Sweep" s WHERE ${where}`, [q, status]),
  ]);
  const objectives = new Map(rows.rows.map((r) => [r.id, objectiveOfSweep({ ...r, dataset: r.taskKind ? { taskKind: r.taskKind } : null })]));
  const [counts, best] = await Promise.all([countsBySweep(db, [...objectives.keys()]), bestPerMethod(db, objectives)]);
  const items = rows.rows.map(({ spec: _spec, datasetId: _d, taskKind: _k, ...r }) => ({
    ...r, objective: objectives.get(r.id)!, counts: counts.get(r.id)!, best: best.get(r.id) ?? [],
  }));
  return { items, total: total.rows[0].n, page, pageSize };
}

/**
 * Best completed trial per (sweep, method) by each sweep's objective, best first; a trial's
 * value is summary[summaryKey], else summary[metric] (older summaries). NaN and ±Infinity never win.
 */
export async function bestPerMethod(db: Db, objectives: Map<string, SweepObjective>): Promise<Map<string, BestOfMethod[]>> {
  const out = new Map<string, BestOfMethod[]>();
  if (!objectives.size) return out;
  const ids = [...objectives.keys()];
  const o = ids.map((id) => objectives.get(id)!);
  const { rows } = await getPool(db).query<{ sweepId: string; method: string; value: number; trialId: string; sign: number }>(
    `SELECT DISTINCT ON (v."sweepId", v."method") v."sweepId", v."method", v.value, v."trialId", v.sign
     FROM (
       SELECT t."sweepId", t."method", t."id" AS "trialId", o.sign,
              CASE WHEN jsonb_typeof(t."summary" -> o.key) = 'number' THEN (t."summary" ->> o.key)::float8
                   WHEN jsonb_typeof(t."summary" -> o.metric) = 'number' THEN (t."summary" ->> o.metric)::float8
              END AS value
       FROM "Trial" t JOIN unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS o(sid, key, metric, sign) ON t."sweepId" = o.sid
       WHERE t."status" = 'completed') v
     WHERE v.value IS NOT NULL AND v.value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)
     ORDER BY v."sweepId", v."method", v.value * v.sign ASC, v."trialId"`,
    [ids, o.map((x) => x.summaryKey), o.map((x) => x.metric), o.map((x) => (x.direction === 'maximize' ? -1 : 1))],
  );
  for (const r of rows) (out.get(r.sweepId) ?? out.set(r.sweepId, []).get(r.sweepId)!).push({ method: r.method, value: r.value, trialId: r.trialId });
  for (const [id, list] of out) {
    const sign = objectives.get(id)!.direction === 'maximize' ? -1 : 1;
    list.sort((a, b) => (a.value - b.value) * sign || a.method.localeCompare(b.method));
  }
  return out;
}
