// Server-side aggregation of one sweep into the charts' narrow props. Every
// aggregate runs in SQL over the sweep's completed trials (numbers pulled out of
// the JSON columns there), so a 10,000-trial sweep ships a few hundred rows to
// Node, not ten thousand JSON documents; every point count is capped.
import { getPool, getTrialSeries, type Db } from '@peft-lab/db';
import type { CostRow, CurveSeries, EffectSeries, MethodStat, Objective, ParallelAxis, ParallelData, ParetoData, SweepChartsData } from './chart-types';
import { resolveObjective } from './trial-numbers';
import { formatHyperparameters } from './format';
import { taskMetric } from './sweep-objective';

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

/** Completed trials of sweep $1 with `metric` (summary -> $2) and `score` (metric × $3, higher is better). */
const DONE = `
  SELECT t."id", t."index", t."method", t."hyperparameters",
         ${num(`t."summary" -> $2::text`)} AS metric, ${num(`t."summary" -> $2::text`)} * $3::float8 AS score,
         ${num(`t."measurements" -> 'trainableParams'`)} AS params
  FROM "Trial" t WHERE t."sweepId" = $1 AND t."status" = 'completed'`;

async function pareto(db: Db, args: unknown[]): Promise<ParetoData> {
  // Front: walking by trainable params ascending, a trial is on it when it beats every cheaper one.
  const { rows } = await getPool(db).query<{ id: string; index: number; method: string; params: number; metric: number; front: boolean; n: number; full: number | null }>(`
    WITH d AS (${DONE}),
    f AS (
      SELECT "id", "index", "method", params, metric,
             score > COALESCE(max(score) OVER (ORDER BY params, score DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), '-Infinity') AS front,
             row_number() OVER (ORDER BY params, "index") AS rn, count(*) OVER ()::int AS n
      FROM d WHERE metric IS NOT NULL AND params > 0)
    SELECT "id", "index", "method", params, metric, front, n, (SELECT avg(metric) FROM d WHERE "method" = 'full') AS full
    FROM f WHERE front OR rn % GREATEST(1, ceil(n / ${MAX_PARETO_POINTS}.0))::int = 0 ORDER BY params`, args);
  return {
    points: rows.map((r) => ({ trialId: r.id, index: r.index, method: r.method, params: r.params, metric: r.metric, front: r.front })),
    total: rows[0]?.n ?? 0,
    fullFtMetric: rows[0]?.full ?? null,
  };
}

async function methodStats(db: Db, args: unknown[]): Promise<MethodStat[]> {
  // Seeds of one configuration share their hyperparameters: group by them for mean ± std, keep each method's best.
  const { rows } = await getPool(db).query<{ method: string; hyperparameters: unknown; mean: number; std: number | null; n: number }>(`
    WITH d AS (${DONE}),
    g AS (SELECT "method", "hyperparameters", avg(metric) AS mean, stddev_samp(metric) AS std, count(*)::int AS n, avg(score) AS score
          FROM d WHERE metric IS NOT NULL GROUP BY 1, 2)
    SELECT DISTINCT ON ("method") "method", "hyperparameters", mean, std, n FROM g ORDER BY "method", score DESC`, args);
  return sortMethods(rows.map((r) => ({ method: r.method, config: formatHyperparameters(flatHyperparameters(r.hyperparameters)), mean: r.mean, std: r.std, n: r.n })));
}

const COST_MEASURES: { measure: string; unit: string; sql: string }[] = [
  { measure: 'Trainable parameters', unit: '%', sql: `COALESCE(${num(m('trainablePercent'))}, ${num(m('trainableShare'))} * 100)` },
  { measure: 'Peak memory', unit: 'MiB', sql: `${num(m('peakBytes'))} / 1048576` },
  { measure: 'Throughput', unit: 'tokens/s', sql: num(m('tokensPerSec')) },
  { measure: 'Inference latency (batch 1)', unit: 'ms', sql: `COALESCE(${num(m('latencyMsBatch1'))}, ${num(`t."measurements" -> 'latency' -> 'batch1Ms'`)})` },
  { measure: 'Stored per task', unit: 'MiB', sql: `${num(m('storedBytes'))} / 1048576` },
];

async function costs(db: Db, sweepId: string): Promise<CostRow[]> {
  const { rows } = await getPool(db).query<Record<string, number | null> & { method: string }>(`
    SELECT "method", ${COST_MEASURES.map((c, i) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY c${i}) AS c${i}`).join(', ')}
    FROM (SELECT t."method", ${COST_MEASURES.map((c, i) => `${c.sql} AS c${i}`).join(', ')} FROM "Trial" t WHERE t."sweepId" = $1 AND t."status" = 'completed') x
    GROUP BY 1`, [sweepId]);
  const methods = sortMethods(rows.map((r) => ({ method: r.method }))).map((r) => r.method);
  return COST_MEASURES.map(({ measure, unit }, i) => {
    const values: Record<string, number | null> = {};
    for (const r of rows) values[r.method] = r[`c${i}`] ?? null;
    const ref = values.full ?? null;
    const ratios: Record<string, number | null> = {};
    for (const x of methods) ratios[x] = ref && values[x] !== null ? values[x]! / ref : null;
    return { measure, unit, values: Object.fromEntries(methods.map((x) => [x, values[x]])), ratios };
  });
}

async function effects(db: Db, args: unknown[]): Promise<EffectSeries[]> {
  const keys = [...new Set(Object.values(EFFECT_PARAMS).flat())];
  const { rows } = await getPool(db).query<{ method: string; key: string; value: number; mean: number; std: number | null; n: number }>(`
    WITH d AS (${DONE})
    SELECT d."method", k.key, (d."hyperparameters" ->> k.key)::float8 AS value, avg(metric) AS mean, stddev_samp(metric) AS std, count(*)::int AS n
    FROM d CROSS JOIN unnest($4::text[]) AS k(key)
    WHERE metric IS NOT NULL AND jsonb_typeof(d."hyperparameters" -> k.key) = 'number'
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, [...args, keys]);
  const out: EffectSeries[] = [];
  for (const [method, params] of Object.entries(EFFECT_PARAMS)) {
    const param = params.find((p) => rows.some((r) => r.method === method && r.key === p));
    if (!param) continue;
    out.push({ method, param, points: rows.filter((r) => r.method === method && r.key === param).map((r) => ({ value: r.value, mean: r.mean, std: r.std, n: r.n })) });
  }
  return out;
}

async function parallel(db: Db, args: unknown[], objective: Objective): Promise<ParallelData> {
  // The best lines always show; the rest are an even sample by rank.
  const { rows } = await getPool(db).query<{ id: string; method: string; hyperparameters: unknown; metric: number; n: number }>(`
    WITH r AS (SELECT d.*, row_number() OVER (ORDER BY score DESC, "index") AS rk, count(*) OVER ()::int AS n FROM (${DONE}) d WHERE metric IS NOT NULL)
    SELECT "id", "method", "hyperparameters", metric, n FROM r
    WHERE rk <= ${TOP_PARALLEL_LINES} OR (rk - ${TOP_PARALLEL_LINES}) % GREATEST(1, ceil((n - ${TOP_PARALLEL_LINES}) / ${MAX_PARALLEL_LINES - TOP_PARALLEL_LINES}.0))::int = 0
    ORDER BY rk LIMIT ${MAX_PARALLEL_LINES}`, args);
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
    lines: rows.map((r, i) => ({ trialId: r.id, method: r.method, values: [...columns.map((c) => c(flats[i])), r.metric] })),
    total: rows[0]?.n ?? 0,
  };
}

async function curves(db: Db, args: unknown[], sweepId: string): Promise<CurveSeries[]> {
  // The best trials of each method (so every method shows), plus a few running ones.
  const pool = getPool(db);
  const [best, running] = await Promise.all([
    pool.query<{ id: string; index: number; method: string }>(`
      WITH r AS (SELECT d.*, row_number() OVER (PARTITION BY "method" ORDER BY score DESC NULLS LAST, "index") AS rk FROM (${DONE}) d)
      SELECT "id", "index", "method" FROM r WHERE rk <= GREATEST(1, ${MAX_CURVE_TRIALS} / (SELECT count(DISTINCT "method") FROM r)) ORDER BY "method", rk`, args),
    pool.query<{ id: string; index: number; method: string }>(
      `SELECT "id", "index", "method" FROM "Trial" WHERE "sweepId" = $1 AND "status" = 'running' ORDER BY "startedAt" DESC NULLS LAST LIMIT 4`, [sweepId]),
  ]);
  const picks = [...best.rows.slice(0, MAX_CURVE_TRIALS), ...running.rows];
  const all = await Promise.all(picks.map(async (t) => {
    const series = await getTrialSeries(db, t.id, { maxPoints: CURVE_POINTS });
    return series.map((s): CurveSeries => ({ trialId: t.id, index: t.index, method: t.method, name: s.name, points: s.points.map((p) => ({ step: p.stepEnd, value: p.last })) }));
  }));
  return all.flat();
}

// Finished sweeps never change: their aggregates are kept (a few, keyed by what would change them).
const globalCache = globalThis as unknown as { __peftLabChartCache?: Map<string, { signature: string; data: SweepChartsData }> };
const cache = (globalCache.__peftLabChartCache ??= new Map());

/**
 * Everything the sweep page's charts need, aggregated on the server.
 * @param finishedSignature set only for a sweep with no queued/running trial (e.g. its status and counts): reuses the last result while it matches
 */
export async function loadSweepCharts(db: Db, sweepId: string, spec: unknown, finishedSignature?: string): Promise<SweepChartsData> {
  const hit = finishedSignature ? cache.get(sweepId) : undefined;
  if (hit && hit.signature === finishedSignature) return hit.data;
  const pool = getPool(db);
  const [samples, backends, completed] = await Promise.all([
    pool.query<{ summary: unknown }>(`SELECT "summary" FROM "Trial" WHERE "sweepId" = $1 AND "status" = 'completed' AND "summary" IS NOT NULL LIMIT 20`, [sweepId]),
    pool.query<{ backend: string; n: number }>(`SELECT "backend", count(*)::int AS n FROM "Trial" WHERE "sweepId" = $1 AND "backend" IS NOT NULL GROUP BY 1 ORDER BY 2 DESC`, [sweepId]),
    pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Trial" WHERE "sweepId" = $1 AND "status" = 'completed'`, [sweepId]),
  ]);
  const objective = resolveObjective(spec, samples.rows.map((r) => r.summary), taskMetric(spec));
  const args = [sweepId, objective.key ?? '', objective.direction === 'maximize' ? 1 : -1];
  const [p, stats, costRows, eff, par, cur] = await Promise.all([
    pareto(db, args), methodStats(db, args), costs(db, sweepId), effects(db, args), parallel(db, args, objective), curves(db, args, sweepId),
  ]);
  const data: SweepChartsData = {
    objective, backends: backends.rows, pareto: p, curves: cur, parallel: par, methodStats: stats, costs: costRows, effects: eff, completed: completed.rows[0].n,
  };
  if (finishedSignature) {
    cache.set(sweepId, { signature: finishedSignature, data });
    if (cache.size > 20) cache.delete(cache.keys().next().value!);
  }
  return data;
}
