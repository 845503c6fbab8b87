// The dashboard's chart aggregates of one sweep, in SQL: one statement reads the sweep's
// trials once (numbers pulled out of the JSON columns there) and builds every chart's
// aggregate from that; a second reads chosen trials' curves. So a 10,000-trial sweep ships a
// few hundred rows to Node, and every point count is capped. The app shapes them into props.
import { getPool, type Db } from './client';

/** Cost measures per method (medians over completed trials), from `measurements` (packages/report names). */
export const CHART_COST_MEASURES = ['trainablePercent', 'peakMiB', 'tokensPerSec', 'latencyMsBatch1', 'storedMiB', 'forgettingLoss'] as const;
export type ChartCostMeasure = (typeof CHART_COST_MEASURES)[number];

/** A JSON number as float8, NULL for anything else (a string or object must not abort the query). */
const num = (expr: string) => `(CASE WHEN jsonb_typeof(${expr}) = 'number' THEN (${expr})::text::float8 END)`;
const m = (key: string) => `t."measurements" -> '${key}'`;

const COST_SQL: Record<ChartCostMeasure, string> = {
  trainablePercent: `COALESCE(${num(m('trainablePercent'))}, ${num(m('trainableShare'))} * 100)`,
  peakMiB: `${num(m('peakBytes'))} / 1048576`,
  tokensPerSec: num(m('tokensPerSec')),
  latencyMsBatch1: `COALESCE(${num(m('latencyMsBatch1'))}, ${num(`t."measurements" -> 'latency' -> 'batch1Ms'`)})`,
  storedMiB: `${num(m('storedBytes'))} / 1048576`,
  // Trained minus base causal-LM loss on held-out general text (worker measurementsOf).
  forgettingLoss: num(m('forgettingLoss')),
};

export interface SweepChartOptions {
  /** The summary key of the objective (`eval_accuracy`); '' or null: no metric. */
  summaryKey: string | null;
  direction: 'maximize' | 'minimize';
  /** Hyperparameter keys whose effect on the metric is aggregated (per method, per value). */
  effectKeys: string[];
  maxParetoPoints?: number;
  /** Parallel-coordinates lines: the best `topParallelLines` always, at most `maxParallelLines` in all. */
  topParallelLines?: number;
  maxParallelLines?: number;
  /** Best trials (across methods) whose curves are picked. */
  maxCurveTrials?: number;
}

type Hp = unknown;

/** What `sweepChartRows` returns: every chart's aggregate, before shaping. */
export interface SweepChartRows {
  completed: number;
  backends: { backend: string; n: number }[];
  /** Mean metric of the completed full fine-tuning trials. */
  fullMetric: number | null;
  /** [index, method, trainable params, metric, on the front, total points, forgetting (null: not measured)] by params. */
  pareto: [number, string, number, number, boolean, number, number | null][];
  /** The best configuration of each method by mean score over seeds. */
  stats: { method: string; hyperparameters: Hp; mean: number; std: number | null; n: number }[];
  costs: (Record<ChartCostMeasure, number | null> & { method: string })[];
  effects: { method: string; key: string; value: number; mean: number; std: number | null; n: number }[];
  /** By rank (best first); `n` = completed trials with a metric. */
  parallel: { index: number; method: string; hyperparameters: Hp; metric: number; n: number }[];
  /** The best trials of each method (every method shows). */
  best: { id: string; index: number; method: string }[];
  /** A few running trials, newest first. */
  running: { id: string; index: number; method: string }[];
}

/**
 * $1 sweep id, $2 summary key of the metric, $3 = +1/-1 (score = metric × $3, higher is
 * better), $4 effect hyperparameter keys. A CTE referenced several times is materialised.
 */
function onePass(o: Required<Omit<SweepChartOptions, 'summaryKey' | 'direction' | 'effectKeys'>>): string {
  return `
  WITH a AS MATERIALIZED (
    SELECT t."id", t."index", t."method", t."hyperparameters", t."status", t."backend", t."startedAt",
           ${num(`t."summary" -> $2::text`)} AS metric, ${num(`t."summary" -> $2::text`)} * $3::float8 AS score,
           ${num(m('trainableParams'))} AS params,
           ${CHART_COST_MEASURES.map((c) => `CASE WHEN t."status" = 'completed' THEN ${COST_SQL[c]} END AS "${c}"`).join(', ')}
    FROM "Trial" t WHERE t."sweepId" = $1),
  d AS (SELECT * FROM a WHERE "status" = 'completed'),
  dm AS (SELECT * FROM d WHERE metric IS NOT NULL),
  pf AS (
    -- Front: walking by trainable params ascending, a trial is on it when it beats every cheaper one.
    SELECT "index", "method", params, metric, "forgettingLoss",
           score > COALESCE(max(score) OVER (ORDER BY params, score DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), '-Infinity') AS front,
           row_number() OVER (ORDER BY params, "index") AS rn, count(*) OVER ()::int AS n
    FROM dm WHERE params > 0),
  g AS (
    -- Seeds of one configuration share their hyperparameters: group by them for mean ± std.
    SELECT "method", "hyperparameters", avg(metric) AS mean, stddev_samp(metric) AS std, count(*)::int AS n, avg(score) AS score
    FROM dm GROUP BY 1, 2),
  rk AS (SELECT "index", "method", "hyperparameters", metric, row_number() OVER (ORDER BY score DESC, "index") AS rk, count(*) OVER ()::int AS n FROM dm),
  best AS (SELECT "id", "index", "method", row_number() OVER (PARTITION BY "method" ORDER BY score DESC NULLS LAST, "index") AS rk FROM d)
  SELECT
    (SELECT count(*)::int FROM d) AS completed,
    (SELECT json_agg(x ORDER BY x.n DESC) FROM (SELECT "backend", count(*)::int AS n FROM a WHERE "backend" IS NOT NULL GROUP BY 1) x) AS backends,
    (SELECT avg(metric) FROM d WHERE "method" = 'full') AS full_metric,
    (SELECT json_agg(json_build_array("index", "method", params, metric, front, n, "forgettingLoss") ORDER BY params)
       FROM pf WHERE front OR rn % GREATEST(1, ceil(n / ${o.maxParetoPoints}.0))::int = 0) AS pareto,
    (SELECT json_agg(x) FROM (SELECT DISTINCT ON ("method") "method", "hyperparameters", mean, std, n FROM g ORDER BY "method", score DESC) x) AS stats,
    (SELECT json_agg(x) FROM (
       SELECT "method", ${CHART_COST_MEASURES.map((c) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY "${c}") AS "${c}"`).join(', ')} FROM d GROUP BY 1) x) AS costs,
    (SELECT json_agg(x ORDER BY x."method", x.key, x.value) FROM (
       SELECT dm."method", k.key, (dm."hyperparameters" ->> k.key)::float8 AS value, avg(metric) AS mean, stddev_samp(metric) AS std, count(*)::int AS n
       FROM dm CROSS JOIN unnest($4::text[]) AS k(key)
       WHERE jsonb_typeof(dm."hyperparameters" -> k.key) = 'number' GROUP BY 1, 2, 3) x) AS effects,
    -- The best lines always show; the rest are an even sample by rank.
    (SELECT json_agg(x ORDER BY x.rk) FROM (
       SELECT "index", "method", "hyperparameters", metric, n, rk FROM rk
       WHERE rk <= ${o.topParallelLines} OR (rk - ${o.topParallelLines}) % GREATEST(1, ceil((n - ${o.topParallelLines}) / ${o.maxParallelLines - o.topParallelLines}.0))::int = 0
       ORDER BY rk LIMIT ${o.maxParallelLines}) x) AS parallel,
    -- Curves: the best trials of each method (so every method shows), plus a few running ones.
    (SELECT json_agg(x ORDER BY x."method", x.rk) FROM (
       SELECT * FROM best WHERE rk <= GREATEST(1, ${o.maxCurveTrials} / (SELECT count(DISTINCT "method") FROM best)) ORDER BY "method", rk LIMIT ${o.maxCurveTrials}) x) AS best,
    (SELECT json_agg(x) FROM (
       SELECT "id", "index", "method" FROM a WHERE "status" = 'running' ORDER BY "startedAt" DESC NULLS LAST LIMIT 4) x) AS running`;
}

const posInt = (v: number | undefined, fallback: number) => (Number.isInteger(v) && v! > 0 ? v! : fallback);

/** Every chart aggregate of a sweep in one statement over its trials. */
export async function sweepChartRows(db: Db, sweepId: string, opts: SweepChartOptions): Promise<SweepChartRows> {
  const top = posInt(opts.topParallelLines, 50);
  const caps = {
    maxParetoPoints: posInt(opts.maxParetoPoints, 300),
    topParallelLines: top,
    maxParallelLines: Math.max(top + 1, posInt(opts.maxParallelLines, 200)),
    maxCurveTrials: posInt(opts.maxCurveTrials, 10),
  };
  const { rows: [r] } = await getPool(db).query(onePass(caps), [sweepId, opts.summaryKey ?? '', opts.direction === 'maximize' ? 1 : -1, opts.effectKeys]);
  return {
    completed: r.completed,
    backends: r.backends ?? [],
    fullMetric: r.full_metric,
    pareto: r.pareto ?? [],
    stats: r.stats ?? [],
    costs: r.costs ?? [],
    effects: r.effects ?? [],
    parallel: r.parallel ?? [],
    best: r.best ?? [],
    running: r.running ?? [],
  };
}

/**
 * Downsampled series of several trials in one query (the buckets of getTrialSeries: each
 * point is a bucket's last step and value), at most `maxPoints` per series.
 */
export async function trialCurves(db: Db, trialIds: string[], maxPoints = 150): Promise<Map<string, { name: string; points: { step: number; value: number }[] }[]>> {
  const out = new Map<string, { name: string; points: { step: number; value: number }[] }[]>();
  if (trialIds.length === 0) return out;
  const { rows } = await getPool(db).query<{ trialId: string; name: string; steps: number[]; values: number[] }>(`
    WITH bounds AS (
      SELECT "trialId", "name", min("step") AS lo, GREATEST(1, ceil((max("step") - min("step") + 1)::numeric / $2))::int AS width
      FROM "MetricPoint" WHERE "trialId" = ANY($1::text[]) GROUP BY 1, 2),
    b AS (
      SELECT m."trialId", m."name", max(m."step") AS step, (array_agg(m."value" ORDER BY m."step" DESC))[1] AS value
      FROM "MetricPoint" m JOIN bounds USING ("trialId", "name")
      WHERE m."trialId" = ANY($1::text[])
      GROUP BY m."trialId", m."name", (m."step" - bounds.lo) / bounds.width)
    SELECT "trialId", "name", array_agg(step ORDER BY step) AS steps, array_agg(value ORDER BY step) AS values FROM b GROUP BY 1, 2 ORDER BY 1, 2`,
  [trialIds, maxPoints]);
  for (const r of rows) {
    if (!out.has(r.trialId)) out.set(r.trialId, []);
    out.get(r.trialId)!.push({ name: r.name, points: r.steps.map((step, i) => ({ step, value: r.values[i] })) });
  }
  return out;
}
