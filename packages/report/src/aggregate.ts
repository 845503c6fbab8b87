/**
 * Per-method aggregates: configurations grouped across seeds, the best one by
 * the objective, mean ± std over its seeds, medians of its cost measurements,
 * and Δ against the full fine-tuning baseline. Pure functions over
 * `ReportInput`; every format renders from the same `SweepAggregate`, so all
 * formats agree on every number and on what is missing.
 */
import { methodRecord } from '@peft-lab/engine/methods';
import { METHODS, configKey, trialMetric, type HyperparameterValue, type Method, type ReportInput, type TrialInput, type TrialStatus } from './input.js';
import { finite, mean, median, sampleStd } from './stats.js';

/** Measurements compared across methods; medians over a configuration's completed trials. */
export const COST_MEASURES = [
  'trainableParams',
  'totalParams',
  'trainablePercent',
  'peakBytes',
  'peakAllocatorBytes',
  'peakRssBytes',
  'tokensPerSec',
  'wallTimeS',
  'latencyMsBatch1',
  'latencyMsBatch8',
  'latencyMergedMsBatch1',
  'latencyMergedMsBatch8',
  'latencyRatioBatch1',
  'latencyRatioBatch1Q1',
  'latencyRatioBatch1Q3',
  'latencyMergedRatioBatch1',
  'latencyMergedRatioBatch1Q1',
  'latencyMergedRatioBatch1Q3',
  'storedBytes',
  'forgettingLoss',
] as const;
/** Measurements added after the first sweeps: their absence on a trial is its age, not a gap worth a line. */
const LATER_MEASURES: readonly CostMeasure[] = [
  'latencyRatioBatch1', 'latencyRatioBatch1Q1', 'latencyRatioBatch1Q3',
  'latencyMergedRatioBatch1', 'latencyMergedRatioBatch1Q1', 'latencyMergedRatioBatch1Q3', 'forgettingLoss',
];
export type CostMeasure = (typeof COST_MEASURES)[number];
export type Costs = Record<CostMeasure, number | null>;

/** Each method's display label ('Full fine-tuning', 'LoRA', 'Prefix tuning'…): its declaration's. */
export const METHOD_NAMES: Record<Method, string> = methodRecord((d) => d.label);

export interface ConfigurationAggregate {
  key: string;
  method: Method;
  label: string | null;
  hyperparameters: Record<string, HyperparameterValue>;
  /** Every trial of this configuration, whatever its status. */
  trialIds: string[];
  /** Seeds of the completed trials that reported the objective metric. */
  seeds: number[];
  /** Number of metric values behind `mean` (= seeds.length). */
  n: number;
  mean: number | null;
  /** Sample std over seeds; null when n < 2 (formats print "n=1"). */
  std: number | null;
  costs: Costs;
}

export type StatusCounts = Record<TrialStatus, number> & { total: number };

export interface MethodAggregate {
  method: Method;
  counts: StatusCounts;
  configurations: ConfigurationAggregate[];
  /** Best configuration by the objective's mean over seeds; null when no trial of this method reported the metric. */
  best: ConfigurationAggregate | null;
  /** Trainable % over every completed trial of the method (all configurations). */
  trainablePercentRange: { min: number; max: number } | null;
  /** Against the full fine-tuning best configuration: metric as an absolute difference, costs as ratios. Null without a baseline. */
  delta: { metric: number | null; costs: Costs } | null;
  /** Human sentences saying what is missing for this method. */
  missing: string[];
}

export interface SweepAggregate {
  objective: ReportInput['objective'];
  /** Methods that have at least one trial, in the order full, lora, adapter, prefix, prompt. */
  methods: MethodAggregate[];
  baseline: MethodAggregate | null;
  /** Methods with no trial at all in this sweep. */
  absentMethods: Method[];
  /** Every missing-data sentence (sweep-wide first, then per method, prefixed by the method). */
  missing: string[];
}

function emptyCosts(): Costs {
  return Object.fromEntries(COST_MEASURES.map((m) => [m, null])) as Costs;
}

/** Is `a` better than `b` under the objective's direction? */
export function isBetter(a: number, b: number, direction: 'maximize' | 'minimize'): boolean {
  return direction === 'maximize' ? a > b : a < b;
}

function aggregateConfiguration(trials: TrialInput[], metric: string): ConfigurationAggregate {
  const first = trials[0];
  const completed = trials.filter((t) => t.status === 'completed');
  const withMetric = completed.filter((t) => trialMetric(t, metric) !== null);
  const values = withMetric.map((t) => trialMetric(t, metric)!);
  const costs = emptyCosts();
  for (const m of COST_MEASURES) costs[m] = median(finite(completed.map((t) => t.measurements?.[m])));
  return {
    key: configKey(first),
    method: first.method,
    label: first.label ?? null,
    hyperparameters: first.hyperparameters,
    trialIds: trials.map((t) => t.id),
    seeds: withMetric.map((t) => t.seed),
    n: values.length,
    mean: mean(values),
    std: sampleStd(values),
    costs,
  };
}

function pickBest(configs: ConfigurationAggregate[], direction: 'maximize' | 'minimize'): ConfigurationAggregate | null {
  let best: ConfigurationAggregate | null = null;
  for (const c of configs) {
    if (c.mean === null) continue;
    // Ties go to the configuration backed by more seeds, then to the stable key order (deterministic output).
    if (!best || isBetter(c.mean, best.mean!, direction) || (c.mean === best.mean && (c.n > best.n || (c.n === best.n && c.key < best.key)))) best = c;
  }
  return best;
}

function countStatuses(trials: TrialInput[]): StatusCounts {
  const c = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0, pruned: 0, total: trials.length };
  for (const t of trials) c[t.status]++;
  return c;
}

const NOT_COMPLETED: TrialStatus[] = ['failed', 'cancelled', 'pruned', 'queued', 'running'];

function methodMissing(m: MethodAggregate, trials: TrialInput[], metric: string): string[] {
  const out: string[] = [];
  for (const status of NOT_COMPLETED) {
    const ts = trials.filter((t) => t.status === status);
    if (ts.length === 0) continue;
    const which = ts.map((t) => `#${t.index}${t.error ? ` (${oneLine(t.error)})` : ''}`).join(', ');
    out.push(`${ts.length} trial${ts.length > 1 ? 's' : ''} ${status}: ${which}`);
  }
  const noMetric = trials.filter((t) => t.status === 'completed' && trialMetric(t, metric) === null);
  if (noMetric.length) out.push(`${noMetric.length} completed trial(s) did not report ${metric}: ${noMetric.map((t) => `#${t.index}`).join(', ')}`);
  if (!m.best) {
    out.push(`no completed trial reported ${metric}; no best configuration, mean or Δ`);
    return out;
  }
  if (m.best.n < 2) out.push(`best configuration has ${m.best.n} seed (n=1): no std over seeds`);
  // Only native TensorFlow with PEFT Lab's kernels reports the allocator's peak; RSS is informative.
  const expectedNull = new Set<CostMeasure>(['peakAllocatorBytes', 'peakRssBytes', ...LATER_MEASURES, ...(m.method === 'lora' ? [] : ['latencyMergedMsBatch1', 'latencyMergedMsBatch8'] as const)]);
  const unmeasured = COST_MEASURES.filter((c) => m.best!.costs[c] === null && !expectedNull.has(c));
  if (unmeasured.length) out.push(`best configuration lacks measurements: ${unmeasured.join(', ')}`);
  return out;
}

function oneLine(s: string): string {
  const line = s.split('\n')[0].trim();
  return line.length > 80 ? `${line.slice(0, 77)}…` : line;
}

/** Aggregate a validated report input. Deterministic: same input, same output. */
export function aggregateSweep(input: ReportInput): SweepAggregate {
  const { metric, direction } = input.objective;
  const methods: MethodAggregate[] = [];
  for (const method of METHODS) {
    const trials = input.trials.filter((t) => t.method === method).sort((a, b) => a.index - b.index);
    if (trials.length === 0) continue;
    const groups = new Map<string, TrialInput[]>();
    for (const t of trials) {
      const k = configKey(t);
      const g = groups.get(k);
      if (g) g.push(t);
      else groups.set(k, [t]);
    }
    const configurations = [...groups.values()].map((g) => aggregateConfiguration(g, metric));
    const pct = finite(trials.filter((t) => t.status === 'completed').map((t) => t.measurements?.trainablePercent));
    const agg: MethodAggregate = {
      method,
      counts: countStatuses(trials),
      configurations,
      best: pickBest(configurations, direction),
      trainablePercentRange: pct.length ? { min: Math.min(...pct), max: Math.max(...pct) } : null,
      delta: null,
      missing: [],
    };
    agg.missing = methodMissing(agg, trials, metric);
    methods.push(agg);
  }
  const baseline = methods.find((m) => m.method === 'full') ?? null;
  const base = baseline?.best ?? null;
  for (const m of methods) {
    if (!base || !m.best) continue;
    const costs = emptyCosts();
    for (const c of COST_MEASURES) {
      const a = m.best.costs[c];
      const b = base.costs[c];
      costs[c] = a !== null && b !== null && b !== 0 ? a / b : null;
    }
    m.delta = { metric: m.best.mean !== null && base.mean !== null ? m.best.mean - base.mean : null, costs };
  }
  const absentMethods = METHODS.filter((x) => !methods.some((m) => m.method === x));
  const missing: string[] = [];
  if (!baseline) missing.push('no full fine-tuning baseline in this sweep: Δ columns are empty');
  else if (!base) missing.push(`the full fine-tuning baseline has no completed trial reporting ${metric}: Δ columns are empty`);
  if (absentMethods.length) missing.push(`methods not in this sweep: ${absentMethods.join(', ')}`);
  if (input.trials.length === 0) missing.push('the sweep has no trials');
  for (const m of methods) for (const s of m.missing) missing.push(`${m.method}: ${s}`);
  return { objective: input.objective, methods, baseline, absentMethods, missing };
}

