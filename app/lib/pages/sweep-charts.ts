// Server-side aggregation of one sweep into the charts' narrow props: one SQL statement
// reads the sweep's trials once (numbers pulled out of the JSON columns there) and builds
// every chart's aggregate from that, a second reads the picked trials' curves; so a
// 10,000-trial sweep ships a few hundred rows to Node, and every point count is capped.
import { getPool, type Db } from '@peft-lab/db';
import type { CostRow, CurveSeries, EffectSeries, Objective, ParallelAxis, ParallelData, SweepChartsData } from './chart-types';
import { formatHyperparameters } from './format';
import { sweepObjective } from './sweep-objective';

const MAX_PARETO_POINTS = 300;
const TOP_PARALLEL_LINES = 50;
const MAX_PARALLEL_LINES = 200;
const MAX_CURVE_TRIALS = 10;
const CURVE_POINTS = 150;

/** The hyperparameter whose effect each method's chart shows (first one present). */
export const EFFECT_PARAMS: Record<string, string[]> = {
  lora: ['r'],
  adapter: ['bottleneck', 'reductionFactor'],
  prefix: ['prefixLength'],
  prompt: ['promptLength'],
};

/** A JSON number as float8, NULL for anything else (a string or object must not abort the query). */
const num = (expr: string) => `(CASE WHEN jsonb_typeof(${expr}) = 'number' THEN (${expr})::text::float8 END)`;
const m = (key: string) => `t."measurements" -> '${key}'`;

/** Hyperparameters flattened to scalar display values (lists joined, training overrides dotted). */
export function flatHyperparameters(h: unknown): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  if (!h || typeof h !== 'object') return out;
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
    // Bookkeeping the API stores beside the values (not hyperparameters).
    if (k === 'configKey' || k === 'isBaseline' || k === 'label') continue;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.join('+');
    else if (v && typeof v === 'object') for (const [k2, v2] of Object.entries(v)) {
      if (typeof v2 === 'number' || typeof v2 === 'string' || typeof v2 === 'boolean') out[`${k}.${k2}`] = v2;
      else if (Array.isArray(v2)) out[`${k}.${k2}`] = v2.join('+');
    }
  }
  return out;
}

const METHOD_ORDER = ['full', 'lora', 'adapter', 'prefix', 'prompt'];
function sortMethods<T extends { method: string }>(xs: T[]): T[] {
  const rank = (x: string) => (METHOD_ORDER.indexOf(x) + 1 || 99);
  return xs.sort((a, b) => rank(a.method) - rank(b.method) || a.method.localeCompare(b.method));
}

const COST_MEASURES: { measure: string; unit: string; sql: string }[] = [
  { measure: 'Trainable parameters', unit: '%', sql: `COALESCE(${num(m('trainablePercent'))}, ${num(m('trainableShare'))} * 100)` },
  { measure: 'Peak memory', unit: 'MiB', sql: `${num(m('peakBytes'))} / 1048576` },
  { measure: 'Throughput', unit: 'tokens/s', sql: num(m('tokensPerSec')) },
  { measure: 'Inference latency (batch 1)', unit: 'ms', sql: `COALESCE(${num(m('latencyMsBatch1'))}, ${num(`t."measurements" -> 'latency' -> 'batch1Ms'`)})` },
  { measure: 'Stored per task', unit: 'MiB', sql: `${num(m('storedBytes'))} / 1048576` },
];

/**
 * The one pass: sweep $1's trials are read once into `a` (numbers pulled out of the JSON
 * there; a CTE referenced several times is materialised), and every chart's aggregate is
 * built from it in the same statement. $2 = summary key of the metric, $3 = +1/-1 (score =
 * metric × $3, higher is better), $4 = hyperparameter keys of the effect charts.
 */
const ONE_PASS = `
  WITH a AS MATERIALIZED (
    SELECT t."id", t."index", t."method", t."hyperparameters", t."status", t."backend", t."startedAt",
           ${num(`t."summary" -> $2::text`)} AS metric, ${num(`t."summary" -> $2::text`)} * $3::float8 AS score,
           ${num(m('trainableParams'))} AS params,
           ${COST_MEASURES.map((c, i) => `CASE WHEN t."status" = 'completed' THEN ${c.sql} END AS c${i}`).join(', ')}
    FROM "Trial" t WHERE t."sweepId" = $1),
  d AS (SELECT * FROM a WHERE "status" = 'completed'),
  dm AS (SELECT * FROM d WHERE metric IS NOT NULL),
  pf AS (
    -- Front: walking by trainable params ascending, a trial is on it when it beats every cheaper one.
    SELECT "index", "method", params, metric,
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
    (SELECT json_agg(json_build_array("index", "method", params, metric, front, n) ORDER BY params)
       FROM pf WHERE front OR rn % GREATEST(1, ceil(n / ${MAX_PARETO_POINTS}.0))::int = 0) AS pareto,
    (SELECT json_agg(x) FROM (SELECT DISTINCT ON ("method") "method", "hyperparameters", mean, std, n FROM g ORDER BY "method", score DESC) x) AS stats,
    (SELECT json_agg(x) FROM (
       SELECT "method", ${COST_MEASURES.map((_, i) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY c${i}) AS c${i}`).join(', ')} FROM d GROUP BY 1) x) AS costs,
    (SELECT json_agg(x ORDER BY x."method", x.key, x.value) FROM (
       SELECT dm."method", k.key, (dm."hyperparameters" ->> k.key)::float8 AS value, avg(metric) AS mean, stddev_samp(metric) AS std, count(*)::int AS n
       FROM dm CROSS JOIN unnest($4::text[]) AS k(key)
       WHERE jsonb_typeof(dm."hyperparameters" -> k.key) = 'number' GROUP BY 1, 2, 3) x) AS effects,
    -- The best lines always show; the rest are an even sample by rank.
    (SELECT json_agg(x ORDER BY x.rk) FROM (
       SELECT "index", "method", "hyperparameters", metric, n, rk FROM rk
       WHERE rk <= ${TOP_PARALLEL_LINES} OR (rk - ${TOP_PARALLEL_LINES}) % GREATEST(1, ceil((n - ${TOP_PARALLEL_LINES}) / ${MAX_PARALLEL_LINES - TOP_PARALLEL_LINES}.0))::int = 0
       ORDER BY rk LIMIT ${MAX_PARALLEL_LINES}) x) AS parallel,
    -- Curves: the best trials of each method (so every method shows), plus a few running ones.
    (SELECT json_agg(x ORDER BY x."method", x.rk) FROM (
       SELECT * FROM best WHERE rk <= GREATEST(1, ${MAX_CURVE_TRIALS} / (SELECT count(DISTINCT "method") FROM best)) ORDER BY "method", rk LIMIT ${MAX_CURVE_TRIALS}) x) AS best,
    (SELECT json_agg(x) FROM (
       SELECT "id", "index", "method" FROM a WHERE "status" = 'running' ORDER BY "startedAt" DESC NULLS LAST LIMIT 4) x) AS running`;

/** Downsampled series of several trials in one query (the buckets of @peft-lab/db getTrialSeries). */
async function seriesOf(db: Db, trialIds: string[]): Promise<Map<string, { name: string; points: { step: number; value: number }[] }[]>> {
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
  [trialIds, CURVE_POINTS]);
  for (const r of rows) {
    if (!out.has(r.trialId)) out.set(r.trialId, []);
    out.get(r.trialId)!.push({ name: r.name, points: r.steps.map((step, i) => ({ step, value: r.values[i] })) });
  }
  return out;
}

type Hp = unknown;
interface OnePassRow {
  completed: number;
  backends: { backend: string; n: number }[] | null;
  full_metric: number | null;
  pareto: [number, string, number, number, boolean, number][] | null;
  stats: { method: string; hyperparameters: Hp; mean: number; std: number | null; n: number }[] | null;
  costs: (Record<string, number | null> & { method: string })[] | null;
  effects: { method: string; key: string; value: number; mean: number; std: number | null; n: number }[] | null;
  parallel: { index: number; method: string; hyperparameters: Hp; metric: number; n: number }[] | null;
  best: { id: string; index: number; method: string }[] | null;
  running: { id: string; index: number; method: string }[] | null;
}

function costRows(rows: OnePassRow['costs']): CostRow[] {
  const rs = rows ?? [];
  const methods = sortMethods(rs.map((r) => ({ method: r.method }))).map((r) => r.method);
  return COST_MEASURES.map(({ measure, unit }, i) => {
    const values: Record<string, number | null> = {};
    for (const r of rs) values[r.method] = r[`c${i}`] ?? null;
    const ref = values.full ?? null;
    const ratios: Record<string, number | null> = {};
    for (const x of methods) ratios[x] = ref && values[x] !== null ? values[x]! / ref : null;
    return { measure, unit, values: Object.fromEntries(methods.map((x) => [x, values[x]])), ratios };
  });
}

function effectSeries(rows: OnePassRow['effects']): EffectSeries[] {
  const rs = rows ?? [];
  const out: EffectSeries[] = [];
  for (const [method, params] of Object.entries(EFFECT_PARAMS)) {
    const param = params.find((p) => rs.some((r) => r.method === method && r.key === p));
    if (!param) continue;
    out.push({ method, param, points: rs.filter((r) => r.method === method && r.key === param).map((r) => ({ value: r.value, mean: r.mean, std: r.std, n: r.n })) });
  }
  return out;
}

function parallelData(rows: NonNullable<OnePassRow['parallel']>, objective: Objective): ParallelData {
  const flats = rows.map((r) => flatHyperparameters(r.hyperparameters));
  const names = [...new Set(flats.flatMap((f) => Object.keys(f)))].sort();
  const axes: ParallelAxis[] = [];
  const columns: ((f: Record<string, number | string | boolean>) => number | null)[] = [];
  for (const name of names) {
    const vals = flats.map((f) => f[name]).filter((v) => v !== undefined);
    // An axis every trial shares one value on says nothing: leave it out.
    if (new Set(vals.map(String)).size < 2) continue;
    if (vals.every((v) => typeof v === 'number')) {
      const nums = vals as number[];
      const min = Math.min(...nums);
      const max = Math.max(...nums);
      axes.push({ name, kind: 'number', log: min > 0 && max / min >= 50, min, max });
      columns.push((f) => (typeof f[name] === 'number' ? (f[name] as number) : null));
    } else {
      const categories = [...new Set(vals.map(String))].sort();
      axes.push({ name, kind: 'category', log: false, min: 0, max: Math.max(0, categories.length - 1), categories });
      columns.push((f) => (f[name] === undefined ? null : categories.indexOf(String(f[name]))));
    }
  }
  const metrics = rows.map((r) => r.metric);
  axes.push({ name: objective.metric, kind: 'number', log: false, min: metrics.length ? Math.min(...metrics) : 0, max: metrics.length ? Math.max(...metrics) : 1 });
  return {
    axes,
    lines: rows.map((r, i) => ({ index: r.index, method: r.method, values: [...columns.map((c) => c(flats[i])), r.metric] })),
    total: rows[0]?.n ?? 0,
  };
}

async function aggregate(db: Db, sweepId: string, objective: Objective): Promise<SweepChartsData> {
  const keys = [...new Set(Object.values(EFFECT_PARAMS).flat())];
  const { rows: [r] } = await getPool(db).query<OnePassRow>(ONE_PASS, [sweepId, objective.key ?? '', objective.direction === 'maximize' ? 1 : -1, keys]);
  const picks = [...(r.best ?? []), ...(r.running ?? [])];
  const series = await seriesOf(db, picks.map((t) => t.id));
  const pareto = r.pareto ?? [];
  return {
    objective,
    backends: r.backends ?? [],
    pareto: {
      points: pareto.map(([index, method, params, metric, front]) => ({ index, method, params, metric, front })),
      total: pareto[0]?.[5] ?? 0,
      fullFtMetric: r.full_metric,
    },
    curves: picks.flatMap((t) => (series.get(t.id) ?? []).map((s): CurveSeries => ({ trialId: t.id, index: t.index, method: t.method, name: s.name, points: s.points }))),
    parallel: parallelData(r.parallel ?? [], objective),
    methodStats: sortMethods((r.stats ?? []).map((s) => ({ method: s.method, config: formatHyperparameters(flatHyperparameters(s.hyperparameters)), mean: s.mean, std: s.std, n: s.n }))),
    costs: costRows(r.costs),
    effects: effectSeries(r.effects),
    completed: r.completed,
  };
}

// Finished sweeps never change: their aggregates are kept (a few, keyed by what would change them).
const globalCache = globalThis as unknown as { __peftLabChartCache?: Map<string, { signature: string; data: SweepChartsData }> };
const cache = (globalCache.__peftLabChartCache ??= new Map());

/**
 * Everything the sweep page's charts need, aggregated on the server in one pass over the sweep's trials.
 * @param finishedSignature set only for a sweep with no queued/running trial (e.g. its status and counts): reuses the last result while it matches
 * @param objective the sweep's objective when the caller already resolved it (sweepObjective)
 */
export async function loadSweepCharts(db: Db, sweepId: string, opts: { finishedSignature?: string; objective?: Objective } = {}): Promise<SweepChartsData> {
  const { finishedSignature } = opts;
  const hit = finishedSignature ? cache.get(sweepId) : undefined;
  if (hit && hit.signature === finishedSignature) return hit.data;
  const data = await aggregate(db, sweepId, opts.objective ?? await sweepObjective(db, sweepId));
  if (finishedSignature) {
    cache.set(sweepId, { signature: finishedSignature, data });
    if (cache.size > 20) cache.delete(cache.keys().next().value!);
  }
  return data;
}
