// Server-side aggregation of one sweep into the charts' narrow props: one pass
// over the completed trials (a few columns), downsampled series of a handful of
// trials, and caps on every point count so a 10,000-trial sweep stays light.
import { getPool, getTrialSeries, type Db } from '@peft-lab/db';
import type {
  CostRow, CurveSeries, EffectSeries, MethodStat, Objective, ParallelAxis, ParallelData, ParallelLine, ParetoData, ParetoPoint, SweepChartsData,
} from './chart-types';
import { flatNumbers, objectiveValue, resolveObjective, trialCosts, type TrialCosts } from './trial-numbers';
import { formatHyperparameters } from './format';

const MAX_PARETO_POINTS = 800;
const MAX_PARALLEL_LINES = 300;
const MAX_CURVE_TRIALS = 10;
const CURVE_POINTS = 150;

/** The hyperparameter whose effect each method's chart shows. */
export const EFFECT_PARAMS: Record<string, string[]> = {
  lora: ['r'],
  adapter: ['bottleneck', 'reductionFactor'],
  prefix: ['prefixLength'],
  prompt: ['promptLength'],
};

interface Row {
  id: string;
  index: number;
  method: string;
  hyperparameters: unknown;
  summary: unknown;
  measurements: unknown;
}
interface Done extends Row { metric: number | null; costs: TrialCosts; config: string }

function better(obj: Objective, a: number, b: number): boolean {
  return obj.direction === 'maximize' ? a > b : a < b;
}

function meanStd(xs: number[]): { mean: number; std: number | null } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  if (xs.length < 2) return { mean, std: null };
  const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, std: Math.sqrt(v) };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Evenly spaced picks, keeping order (deterministic, so a refresh does not reshuffle). */
function stride<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(xs[Math.floor((i * xs.length) / n)]);
  return out;
}

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

function configKey(method: string, h: unknown): string {
  const given = (h as { configKey?: unknown } | null)?.configKey;
  if (typeof given === 'string') return `${method} ${formatHyperparameters(flatHyperparameters(h))}`;
  const flat = flatHyperparameters(h);
  return method + ' ' + formatHyperparameters(Object.fromEntries(Object.keys(flat).sort().map((k) => [k, flat[k]])));
}

function paretoData(done: Done[], obj: Objective): ParetoData {
  const pts = done.filter((d) => d.metric !== null && d.costs.trainableParams !== null && d.costs.trainableParams > 0);
  // Front: fewest parameters for the metric; walk by params ascending, keep strict improvements.
  const sorted = [...pts].sort((a, b) => a.costs.trainableParams! - b.costs.trainableParams! || (better(obj, a.metric!, b.metric!) ? -1 : 1));
  const front = new Set<string>();
  let best: number | null = null;
  for (const p of sorted) if (best === null || better(obj, p.metric!, best)) { front.add(p.id); best = p.metric!; }
  const others = sorted.filter((p) => !front.has(p.id));
  const keep = [...sorted.filter((p) => front.has(p.id)), ...stride(others, Math.max(0, MAX_PARETO_POINTS - front.size))];
  const points: ParetoPoint[] = keep.map((p) => ({ trialId: p.id, index: p.index, method: p.method, params: p.costs.trainableParams!, metric: p.metric!, front: front.has(p.id) }));
  const full = pts.filter((p) => p.method === 'full').map((p) => p.metric!);
  return { points, total: pts.length, fullFtMetric: full.length ? meanStd(full).mean : null };
}

function parallelData(done: Done[], obj: Objective): ParallelData {
  const withMetric = done.filter((d) => d.metric !== null);
  // The best lines always show; the rest are an even sample.
  const ranked = [...withMetric].sort((a, b) => (better(obj, a.metric!, b.metric!) ? -1 : 1));
  const top = ranked.slice(0, 50);
  const picked = [...top, ...stride(ranked.slice(50), MAX_PARALLEL_LINES - top.length)];
  const flats = picked.map((d) => flatHyperparameters(d.hyperparameters));
  const names = [...new Set(flats.flatMap((f) => Object.keys(f)))].sort();
  const axes: ParallelAxis[] = [];
  const columns: ((f: Record<string, number | string | boolean>) => number | null)[] = [];
  for (const name of names) {
    const vals = flats.map((f) => f[name]).filter((v) => v !== undefined);
    // An axis every trial shares one value on says nothing: leave it out.
    if (new Set(vals.map(String)).size < 2) continue;
    if (vals.length && vals.every((v) => typeof v === 'number')) {
      const nums = vals as number[];
      const min = Math.min(...nums);
      const max = Math.max(...nums);
      const log = min > 0 && max / min >= 50;
      axes.push({ name, kind: 'number', log, min, max });
      columns.push((f) => (typeof f[name] === 'number' ? (f[name] as number) : null));
    } else {
      const categories = [...new Set(vals.map(String))].sort();
      axes.push({ name, kind: 'category', log: false, min: 0, max: Math.max(0, categories.length - 1), categories });
      columns.push((f) => (f[name] === undefined ? null : categories.indexOf(String(f[name]))));
    }
  }
  const metrics = picked.map((d) => d.metric!);
  axes.push({ name: obj.metric, kind: 'number', log: false, min: metrics.length ? Math.min(...metrics) : 0, max: metrics.length ? Math.max(...metrics) : 1 });
  const lines: ParallelLine[] = picked.map((d, i) => ({ trialId: d.id, method: d.method, values: [...columns.map((c) => c(flats[i])), d.metric] }));
  return { axes, lines, total: withMetric.length };
}

function methodStats(done: Done[], obj: Objective): MethodStat[] {
  const groups = new Map<string, { method: string; config: string; xs: number[] }>();
  for (const d of done) {
    if (d.metric === null) continue;
    const g = groups.get(d.config) ?? groups.set(d.config, { method: d.method, config: d.config, xs: [] }).get(d.config)!;
    g.xs.push(d.metric);
  }
  const best = new Map<string, MethodStat>();
  for (const g of groups.values()) {
    const { mean, std } = meanStd(g.xs);
    const cur = best.get(g.method);
    if (!cur || better(obj, mean, cur.mean)) best.set(g.method, { method: g.method, config: g.config.slice(g.method.length + 1), mean, std, n: g.xs.length });
  }
  return sortMethods([...best.values()]);
}

const METHOD_ORDER = ['full', 'lora', 'adapter', 'prefix', 'prompt'];
function sortMethods<T extends { method: string }>(xs: T[]): T[] {
  const rank = (m: string) => (METHOD_ORDER.indexOf(m) + 1 || 99);
  return xs.sort((a, b) => rank(a.method) - rank(b.method) || a.method.localeCompare(b.method));
}

const COST_MEASURES: { measure: string; unit: string; pick: (c: TrialCosts) => number | null }[] = [
  { measure: 'Trainable parameters', unit: '%', pick: (c) => c.trainablePercent },
  { measure: 'Peak memory', unit: 'MiB', pick: (c) => (c.peakBytes === null ? null : c.peakBytes / 2 ** 20) },
  { measure: 'Throughput', unit: 'tokens/s', pick: (c) => c.tokensPerSec },
  { measure: 'Inference latency (batch 1)', unit: 'ms', pick: (c) => c.latencyMsBatch1 },
  { measure: 'Stored per task', unit: 'MiB', pick: (c) => (c.storedBytes === null ? null : c.storedBytes / 2 ** 20) },
];

function costRows(done: Done[]): CostRow[] {
  const methods = sortMethods([...new Set(done.map((d) => d.method))].map((method) => ({ method }))).map((m) => m.method);
  return COST_MEASURES.map(({ measure, unit, pick }) => {
    const values: Record<string, number | null> = {};
    for (const m of methods) values[m] = median(done.filter((d) => d.method === m).map((d) => pick(d.costs)).filter((x): x is number => x !== null && Number.isFinite(x)));
    const ref = values.full ?? null;
    const ratios: Record<string, number | null> = {};
    for (const m of methods) ratios[m] = ref && values[m] !== null ? values[m]! / ref : null;
    return { measure, unit, values, ratios };
  });
}

function effects(done: Done[]): EffectSeries[] {
  const out: EffectSeries[] = [];
  for (const [method, params] of Object.entries(EFFECT_PARAMS)) {
    const ds = done.filter((d) => d.method === method && d.metric !== null);
    if (!ds.length) continue;
    const param = params.find((p) => ds.some((d) => typeof flatHyperparameters(d.hyperparameters)[p] === 'number'));
    if (!param) continue;
    const byValue = new Map<number, number[]>();
    for (const d of ds) {
      const v = flatHyperparameters(d.hyperparameters)[param];
      if (typeof v !== 'number') continue;
      (byValue.get(v) ?? byValue.set(v, []).get(v)!).push(d.metric!);
    }
    const points = [...byValue].sort((a, b) => a[0] - b[0]).map(([value, xs]) => ({ value, ...meanStd(xs), n: xs.length }));
    out.push({ method, param, points });
  }
  return out;
}

async function curves(db: Db, done: Done[], running: { id: string; index: number; method: string }[], obj: Objective): Promise<CurveSeries[]> {
  // The best trials of each method (so every method shows), else the running ones.
  let picks: { id: string; index: number; method: string }[] = [];
  const byMethod = new Map<string, Done[]>();
  for (const d of done) (byMethod.get(d.method) ?? byMethod.set(d.method, []).get(d.method)!).push(d);
  const perMethod = Math.max(1, Math.floor(MAX_CURVE_TRIALS / Math.max(1, byMethod.size)));
  for (const ds of byMethod.values()) {
    picks.push(...ds.sort((a, b) => (a.metric === null ? 1 : b.metric === null ? -1 : better(obj, a.metric, b.metric) ? -1 : 1)).slice(0, perMethod));
  }
  picks = [...picks, ...running].slice(0, MAX_CURVE_TRIALS + running.length).slice(0, MAX_CURVE_TRIALS + 4);
  const all = await Promise.all(picks.map(async (t) => {
    const series = await getTrialSeries(db, t.id, { maxPoints: CURVE_POINTS });
    return series.map((s): CurveSeries => ({ trialId: t.id, index: t.index, method: t.method, name: s.name, points: s.points.map((p) => ({ step: p.stepEnd, value: p.last })) }));
  }));
  return all.flat();
}

/** Everything the sweep page's charts need, aggregated on the server. */
export async function loadSweepCharts(db: Db, sweepId: string, spec: unknown): Promise<SweepChartsData> {
  const pool = getPool(db);
  const [completed, running, backends] = await Promise.all([
    pool.query<Row>(`SELECT "id", "index", "method", "hyperparameters", "summary", "measurements" FROM "Trial" WHERE "sweepId" = $1 AND "status" = 'completed' ORDER BY "index"`, [sweepId]),
    pool.query<{ id: string; index: number; method: string }>(`SELECT "id", "index", "method" FROM "Trial" WHERE "sweepId" = $1 AND "status" = 'running' ORDER BY "startedAt" DESC NULLS LAST LIMIT 4`, [sweepId]),
    pool.query<{ backend: string; n: number }>(`SELECT "backend", count(*)::int AS n FROM "Trial" WHERE "sweepId" = $1 AND "backend" IS NOT NULL GROUP BY 1 ORDER BY 2 DESC`, [sweepId]),
  ]);
  const objective = resolveObjective(spec, completed.rows.slice(0, 20).map((r) => r.summary));
  const done: Done[] = completed.rows.map((r) => ({ ...r, metric: objectiveValue(r.summary, objective), costs: trialCosts(r.measurements), config: configKey(r.method, r.hyperparameters) }));
  return {
    objective,
    backends: backends.rows,
    pareto: paretoData(done, objective),
    curves: await curves(db, done, running.rows, objective),
    parallel: parallelData(done, objective),
    methodStats: methodStats(done, objective),
    costs: costRows(done),
    effects: effects(done),
    completed: done.length,
  };
}

export { flatNumbers };
