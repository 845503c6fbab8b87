// One sweep's charts as narrow props: @peft-lab/db aggregates the sweep's trials in one SQL
// statement (sweepChartRows) and reads the picked trials' curves (trialCurves); this file
// shapes those rows for the chart components (labels, ratios, axes), so a 10,000-trial
// sweep ships a few hundred rows to Node, and every point count is capped.
import { TRIAL_BOOKKEEPING_KEYS } from '@peft-lab/sweeps';
import { CHART_COST_MEASURES, sweepChartRows, trialCurves, type ChartCostMeasure, type Db, type SweepChartRows } from '@peft-lab/db';
import type { CostRow, CurveSeries, EffectSeries, Objective, ParallelAxis, ParallelData, SweepChartsData } from './chart-types';
import { METHOD_DECLARATIONS, METHOD_NAMES, chartParameters } from '@peft-lab/engine/methods';
import { formatHyperparameters } from './format';
import { sweepObjective } from './sweep-objective';
import { loadSweepAnalysis } from './sweep-analysis';

const MAX_PARETO_POINTS = 300;
const TOP_PARALLEL_LINES = 50;
const MAX_PARALLEL_LINES = 200;
const MAX_CURVE_TRIALS = 10;
const CURVE_POINTS = 150;

/** The hyperparameter whose effect each method's chart shows (first one present): the ones its declaration marks `chart`. */
export const EFFECT_PARAMS: Record<string, string[]> = Object.fromEntries(
  METHOD_DECLARATIONS.map((d) => [d.name, chartParameters(d)] as const).filter(([, params]) => params.length > 0),
);

/** Hyperparameters flattened to scalar display values (lists joined, training overrides dotted). */
export function flatHyperparameters(h: unknown): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  if (!h || typeof h !== 'object') return out;
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
    // Bookkeeping the API stores beside the values (not hyperparameters).
    if (k !== 'training' && TRIAL_BOOKKEEPING_KEYS.includes(k)) continue;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.join('+');
    else if (v && typeof v === 'object') for (const [k2, v2] of Object.entries(v)) {
      if (typeof v2 === 'number' || typeof v2 === 'string' || typeof v2 === 'boolean') out[`${k}.${k2}`] = v2;
      else if (Array.isArray(v2)) out[`${k}.${k2}`] = v2.join('+');
    }
  }
  return out;
}

const METHOD_ORDER: readonly string[] = METHOD_NAMES;
function sortMethods<T extends { method: string }>(xs: T[]): T[] {
  const rank = (x: string) => (METHOD_ORDER.indexOf(x) + 1 || 99);
  return xs.sort((a, b) => rank(a.method) - rank(b.method) || a.method.localeCompare(b.method));
}

/** Display name and unit of each cost measure @peft-lab/db aggregates. */
const COST_LABELS: Record<ChartCostMeasure, { measure: string; unit: string }> = {
  trainablePercent: { measure: 'Trainable parameters', unit: '%' },
  peakMiB: { measure: 'Peak memory', unit: 'MiB' },
  tokensPerSec: { measure: 'Throughput', unit: 'tokens/s' },
  latencyMsBatch1: { measure: 'Inference latency (batch 1)', unit: 'ms' },
  storedMiB: { measure: 'Stored per task', unit: 'MiB' },
  forgettingLoss: { measure: 'Forgetting', unit: 'nats/token' },
};

function costRows(rs: SweepChartRows['costs']): CostRow[] {
  const methods = sortMethods(rs.map((r) => ({ method: r.method }))).map((r) => r.method);
  return CHART_COST_MEASURES.map((key) => {
    const { measure, unit } = COST_LABELS[key];
    const values: Record<string, number | null> = {};
    for (const r of rs) values[r.method] = r[key] ?? null;
    const ref = values.full ?? null;
    const ratios: Record<string, number | null> = {};
    for (const x of methods) ratios[x] = ref && values[x] !== null ? values[x]! / ref : null;
    return { measure, unit, values: Object.fromEntries(methods.map((x) => [x, values[x]])), ratios };
  });
}

function effectSeries(rs: SweepChartRows['effects']): EffectSeries[] {
  const out: EffectSeries[] = [];
  for (const [method, params] of Object.entries(EFFECT_PARAMS)) {
    const param = params.find((p) => rs.some((r) => r.method === method && r.key === p));
    if (!param) continue;
    out.push({ method, param, points: rs.filter((r) => r.method === method && r.key === param).map((r) => ({ value: r.value, mean: r.mean, std: r.std, n: r.n })) });
  }
  return out;
}

function parallelData(rows: SweepChartRows['parallel'], objective: Objective): ParallelData {
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
  const effectKeys = [...new Set(Object.values(EFFECT_PARAMS).flat())];
  const r = await sweepChartRows(db, sweepId, {
    summaryKey: objective.key, direction: objective.direction, effectKeys,
    maxParetoPoints: MAX_PARETO_POINTS, topParallelLines: TOP_PARALLEL_LINES, maxParallelLines: MAX_PARALLEL_LINES, maxCurveTrials: MAX_CURVE_TRIALS,
  });
  const picks = [...r.best, ...r.running];
  const [series, analysis] = await Promise.all([trialCurves(db, picks.map((t) => t.id), CURVE_POINTS), loadSweepAnalysis(db, sweepId, objective)]);
  return {
    objective,
    backends: r.backends,
    pareto: {
      points: r.pareto.map(([index, method, params, metric, front, , forgetting]) => ({ index, method, params, metric, front, forgetting: forgetting ?? null })),
      total: r.pareto[0]?.[5] ?? 0,
      fullFtMetric: r.fullMetric,
    },
    curves: picks.flatMap((t) => (series.get(t.id) ?? []).map((s): CurveSeries => ({ trialId: t.id, index: t.index, method: t.method, name: s.name, points: s.points }))),
    parallel: parallelData(r.parallel, objective),
    methodStats: sortMethods(r.stats.map((s) => ({ method: s.method, config: formatHyperparameters(flatHyperparameters(s.hyperparameters)), mean: s.mean, std: s.std, n: s.n }))),
    costs: costRows(r.costs),
    effects: effectSeries(r.effects),
    completed: r.completed,
    ...analysis,
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
