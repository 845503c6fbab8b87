// Read queries of the dashboard, the reports and the CLI, plus sweep creation (the sweeps
// list is sweep-list.ts).
// Large results are shaped in SQL (counts, downsampled series) so pages stay fast.
import { z } from 'zod';
import { getPool, type Db } from './client';
import { InvalidArgumentError, NotFoundError } from './errors';
import { parseInput } from './validate';
import type { Sweep, Trial } from './generated/client';
import type { TrialStatus } from './generated/enums';
import { newTrialSchema, type NewTrial } from './queue/inputs';
import { inTransaction, insertTrials } from './queue/insert-trials';
import { countsBySweep, emptyCounts, type TrialCounts } from './sweep-list';

export type SweepWithCounts = Sweep & { counts: TrialCounts };

/** One sweep with counts, base model and dataset. @throws NotFoundError */
export async function getSweep(db: Db, sweepId: string) {
  const sweep = await db.sweep.findUnique({ where: { id: sweepId }, include: { baseModel: true, dataset: true } });
  if (!sweep) throw new NotFoundError('sweep', sweepId);
  const counts = (await countsBySweep(db, [sweepId])).get(sweepId)!;
  return { ...sweep, counts };
}

export const sweepInputSchema = z.object({
  name: z.string().min(1).max(200),
  /** The parsed spec (validated by @peft-lab/sweeps before it gets here: submitSweep). */
  spec: z.record(z.string(), z.unknown()),
  task: z.string().min(1),
  baseModelId: z.string().optional(),
  datasetId: z.string().optional(),
  maxParallel: z.number().int().min(1).optional(),
  /** Trained elsewhere (ask-and-tell): workers never claim its trials. */
  external: z.boolean().default(false),
});
export type SweepInput = z.input<typeof sweepInputSchema>;

/**
 * Creates a sweep and its trials (indexes 0…n-1 unless given) in one transaction.
 * @throws InvalidArgumentError (nothing is stored)
 */
export async function createSweepWithTrials(db: Db, sweep: SweepInput, trials: NewTrial[]): Promise<{ sweep: Sweep; trialIds: string[] }> {
  const s = parseInput(sweepInputSchema, sweep, 'sweep');
  const ts = trials.map((t, i) => parseInput(newTrialSchema, t, `trials[${i}]`));
  return inTransaction(getPool(db), async (client) => {
    const { rows } = await client.query<Sweep>(
      `INSERT INTO "Sweep" ("id", "name", "spec", "task", "baseModelId", "datasetId", "maxParallel", "external")
       VALUES (gen_random_uuid()::text, $1, $2::jsonb, $3, $4, $5, $6, $7) RETURNING *`,
      [s.name, JSON.stringify(s.spec), s.task, s.baseModelId ?? null, s.datasetId ?? null, s.maxParallel ?? null, s.external],
    );
    const trialIds = await insertTrials(client, rows[0].id, ts, 0);
    return { sweep: rows[0], trialIds };
  });
}

const TRIAL_SORT_COLUMNS = ['index', 'method', 'status', 'seed', 'createdAt', 'startedAt', 'finishedAt', 'attempt'] as const;

export interface ListTrialsOptions {
  status?: TrialStatus[];
  method?: string[];
  /** A column, or `summary.<key>` to sort by a numeric summary metric (missing values last). */
  sort?: { by: (typeof TRIAL_SORT_COLUMNS)[number] | `summary.${string}`; dir?: 'asc' | 'desc' };
  page?: number;
  /** Default 50, at most 1000. */
  pageSize?: number;
}

/** A page of a sweep's trials, filtered and sorted in SQL. */
export async function listTrials(db: Db, sweepId: string, opts: ListTrialsOptions = {}): Promise<{ items: Trial[]; total: number; page: number; pageSize: number }> {
  const page = opts.page ?? 0;
  const pageSize = opts.pageSize ?? 50;
  if (!Number.isInteger(page) || page < 0) throw new InvalidArgumentError('page', page, 'must be an integer ≥ 0');
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new InvalidArgumentError('pageSize', pageSize, 'must be an integer in 1..1000');
  const dir = opts.sort?.dir === 'desc' ? 'DESC' : 'ASC';
  const by = opts.sort?.by ?? 'index';
  const params: unknown[] = [sweepId];
  let where = `"sweepId" = $1`;
  if (opts.status?.length) { params.push(opts.status); where += ` AND "status" = ANY($${params.length}::"TrialStatus"[])`; }
  if (opts.method?.length) { params.push(opts.method); where += ` AND "method" = ANY($${params.length}::text[])`; }
  const filterParams = [...params];
  let orderBy: string;
  if (by.startsWith('summary.')) {
    params.push(by.slice('summary.'.length));
    // Numbers only: a non-numeric value sorts with the missing ones.
    orderBy = `CASE WHEN jsonb_typeof("summary" -> $${params.length}) = 'number' THEN ("summary" ->> $${params.length})::float8 END ${dir} NULLS LAST, "index"`;
  } else if ((TRIAL_SORT_COLUMNS as readonly string[]).includes(by)) {
    orderBy = `"${by}" ${dir} NULLS LAST, "index"`;
  } else {
    throw new InvalidArgumentError('sort.by', by, `must be one of ${TRIAL_SORT_COLUMNS.join(', ')} or summary.<key>`);
  }
  const pool = getPool(db);
  const [items, total] = await Promise.all([
    pool.query<Trial>(`SELECT * FROM "Trial" WHERE ${where} ORDER BY ${orderBy} LIMIT ${pageSize} OFFSET ${page * pageSize}`, params),
    pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Trial" WHERE ${where}`, filterParams),
  ]);
  return { items: items.rows, total: total.rows[0].n, page, pageSize };
}

/** One bucket of a downsampled series: steps [step, stepEnd], their min/max and the value at stepEnd. */
export interface SeriesBucket {
  step: number;
  stepEnd: number;
  min: number;
  max: number;
  last: number;
  count: number;
}

export interface TrialSeries {
  name: string;
  points: SeriesBucket[];
}

/**
 * A trial's metric series, downsampled in SQL to at most `maxPoints` buckets per name
 * (equal step ranges; min, max and last value of each), so charts of millions of points
 * stay cheap. Series with ≤ maxPoints points come back whole (one point per bucket).
 * @param names metric names; all of the trial's when omitted.
 */
export async function getTrialSeries(db: Db, trialId: string, opts: { names?: string[]; maxPoints?: number } = {}): Promise<TrialSeries[]> {
  const maxPoints = opts.maxPoints ?? 500;
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new InvalidArgumentError('maxPoints', maxPoints, 'must be an integer ≥ 1');
  const { rows } = await getPool(db).query<{ name: string; step: number; stepEnd: number; min: number; max: number; last: number; count: number }>(
    `WITH bounds AS (
       SELECT "name", min("step") AS lo,
              GREATEST(1, ceil((max("step") - min("step") + 1)::numeric / $3))::int AS width
       FROM "MetricPoint" WHERE "trialId" = $1 AND ($2::text[] IS NULL OR "name" = ANY($2::text[]))
       GROUP BY "name")
     SELECT m."name", min(m."step") AS step, max(m."step") AS "stepEnd",
            min(m."value") AS min, max(m."value") AS max,
            (array_agg(m."value" ORDER BY m."step" DESC))[1] AS last, count(*)::int AS count
     FROM "MetricPoint" m JOIN bounds b ON b."name" = m."name"
     WHERE m."trialId" = $1
     GROUP BY m."name", (m."step" - b.lo) / b.width
     ORDER BY m."name", step`,
    [trialId, opts.names ?? null, maxPoints],
  );
  const byName = new Map<string, SeriesBucket[]>();
  for (const { name, ...bucket } of rows) {
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name)!.push(bucket);
  }
  return [...byName].map(([name, points]) => ({ name, points }));
}

export interface MethodMetricStats {
  n: number;
  mean: number;
  std: number | null;
  min: number;
  max: number;
}

export interface MethodSummary {
  method: string;
  counts: TrialCounts;
  /** Over completed trials, per numeric key of `summary` (e.g. accuracy, trainableShare). */
  metrics: Record<string, MethodMetricStats>;
}

/** Per method of a sweep: trial counts and mean ± std (over seeds/settings) of each numeric summary metric. */
export async function getSweepMethodSummary(db: Db, sweepId: string): Promise<MethodSummary[]> {
  const pool = getPool(db);
  const [counts, stats] = await Promise.all([
    pool.query<{ method: string; status: TrialStatus; n: number }>(
      `SELECT "method", "status", count(*)::int AS n FROM "Trial" WHERE "sweepId" = $1 GROUP BY 1, 2`, [sweepId]),
    pool.query<{ method: string; key: string; n: number; mean: number; std: number | null; min: number; max: number }>(
      `SELECT t."method", kv.key, count(*)::int AS n, avg(kv.value::text::float8) AS mean,
              stddev_samp(kv.value::text::float8) AS std, min(kv.value::text::float8) AS min, max(kv.value::text::float8) AS max
       FROM "Trial" t, jsonb_each(t."summary") kv
       WHERE t."sweepId" = $1 AND t."status" = 'completed' AND jsonb_typeof(t."summary") = 'object'
         AND jsonb_typeof(kv.value) = 'number'
       GROUP BY 1, 2`, [sweepId]),
  ]);
  const out = new Map<string, MethodSummary>();
  const get = (method: string) => out.get(method) ?? out.set(method, { method, counts: emptyCounts(), metrics: {} }).get(method)!;
  for (const r of counts.rows) {
    const m = get(r.method);
    m.counts[r.status] = r.n;
    m.counts.total += r.n;
    m.counts.planned += r.n;
  }
  for (const r of stats.rows) get(r.method).metrics[r.key] = { n: r.n, mean: r.mean, std: r.std, min: r.min, max: r.max };
  return [...out.values()].sort((a, b) => a.method.localeCompare(b.method));
}

/** One evaluation history: `{ step, value }` in step order. */
export type EvalHistory = { step: number; value: number }[];

/**
 * The evaluation histories of one metric series of a sweep's other trials, for early
 * stopping: trials that ran (running, completed, failed, pruned), not queued or cancelled ones.
 */
export async function otherTrialsHistories(db: Db, sweepId: string, trialId: string, series: string): Promise<EvalHistory[]> {
  const { rows } = await getPool(db).query<{ trialId: string; step: number; value: number }>(
    `SELECT m."trialId", m."step", m."value" FROM "MetricPoint" m JOIN "Trial" t ON t."id" = m."trialId"
     WHERE t."sweepId" = $1 AND t."id" <> $2 AND t."status" NOT IN ('cancelled', 'queued') AND m."name" = $3
     ORDER BY m."trialId", m."step"`,
    [sweepId, trialId, series],
  );
  const by = new Map<string, EvalHistory>();
  for (const r of rows) {
    if (!by.has(r.trialId)) by.set(r.trialId, []);
    by.get(r.trialId)!.push({ step: r.step, value: r.value });
  }
  return [...by.values()];
}

/** A trial's own stored points of one series up to `maxStep` (a resumed run's history). */
export async function trialHistory(db: Db, trialId: string, series: string, maxStep: number): Promise<EvalHistory> {
  const { rows } = await getPool(db).query<{ step: number; value: number }>(
    `SELECT "step", "value" FROM "MetricPoint" WHERE "trialId" = $1 AND "name" = $2 AND "step" <= $3 ORDER BY "step"`,
    [trialId, series, maxStep],
  );
  return rows;
}
