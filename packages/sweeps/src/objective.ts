// Which metric ranks a sweep's trials, and where a trial keeps it. One function for the
// worker (early stopping, "best"), the dashboard, the API and the CLI (status, reports),
// so they agree on every name: `eval_loss` and `loss` are the same objective, `final_loss`
// is the last training loss, every loss and perplexity is minimised.
import type { MetricDirection } from './early-stopping/history.js';

export interface SweepObjective {
  /**
   * The metric, as the worker names its evaluation series: accuracy, macro-f1,
   * token-accuracy, perplexity, loss — or final_loss (the training loss at the last step).
   * A name outside these is kept as written (the worker refuses it when a trial starts).
   */
  metric: string;
  direction: MetricDirection;
  /** The key of a trial's `summary` holding the value it finished with: `eval_<metric>`, or `final_loss`. */
  summaryKey: string;
  /** The metric series the worker writes while training: `eval/<metric>` (`train/loss` for final_loss). */
  series: string;
}

/** What a sweep's task tells about its metric when the spec names none. */
export interface ObjectiveTask {
  /** The task's primary metric (a built-in task's `metric`). */
  metric?: string | null;
  /** sequence-classification | token-classification | causal-lm (an imported dataset has only this). */
  kind?: string | null;
}

const KIND_METRIC: Record<string, string> = {
  'sequence-classification': 'accuracy',
  'token-classification': 'token-accuracy',
  'causal-lm': 'perplexity',
};

const MINIMIZED = new Set(['loss', 'final_loss', 'perplexity']);

/**
 * A metric name as the worker writes it: `eval_loss` / `eval/loss` → loss; `f1` → macro-f1
 * (the engine computes macro-averaged F1, which the worker reports for binary F1 too);
 * `finalLoss` → final_loss.
 */
export function canonicalMetric(name: string): string {
  const m = name.trim();
  if (m === 'final_loss' || m === 'finalLoss') return 'final_loss';
  const bare = m.replace(/^eval[_/]/, '');
  if (bare === 'f1' || bare === 'macro_f1') return 'macro-f1';
  if (bare === 'token_accuracy') return 'token-accuracy';
  return bare;
}

/**
 * The sweep's objective: the spec's `objective` when it names a metric (its direction when
 * given, else minimise losses and perplexity), else the task's primary metric, else the
 * task kind's (accuracy, token-accuracy, perplexity), else accuracy.
 * @param spec a sweep spec, validated or as stored (anything without an objective is fine)
 * @example sweepObjective({ objective: { metric: 'eval_loss' } }) // { metric: 'loss', direction: 'minimize', summaryKey: 'eval_loss', series: 'eval/loss' }
 */
export function sweepObjective(spec: unknown, task: ObjectiveTask = {}): SweepObjective {
  const o = (spec as { objective?: { metric?: unknown; direction?: unknown } } | null | undefined)?.objective;
  const named = o && typeof o.metric === 'string' && o.metric.trim() ? o.metric : undefined;
  return objectiveOf(named ?? task.metric ?? (task.kind ? KIND_METRIC[task.kind] : undefined) ?? 'accuracy', named ? o!.direction : undefined);
}

/** Metrics of the trained model, read from a trial's summary (`eval_<metric>`, final_loss). */
export const TASK_METRICS = ['accuracy', 'macro-f1', 'token-accuracy', 'perplexity', 'loss', 'final_loss'] as const;
/**
 * Costs of a trial, read from its measurements: trainable parameters, peak tensor memory
 * (bytes, each buffer once) and inference latency at batch 1 (ms; merged when the method merges).
 */
export const COST_METRICS = ['trainable_params', 'peak_memory', 'latency'] as const;
/** Every metric `objectives` may name. */
export const OBJECTIVE_METRICS: readonly string[] = [...TASK_METRICS, ...COST_METRICS];

const COST_FIELD: Record<(typeof COST_METRICS)[number], readonly string[]> = {
  trainable_params: ['trainableParams'],
  peak_memory: ['peakBytes'],
  latency: ['latencyMergedMsBatch1', 'latencyMsBatch1'],
};

export function isObjectiveMetric(name: string): boolean {
  return OBJECTIVE_METRICS.includes(canonicalMetric(name));
}

function objectiveOf(metric: string, direction: unknown): SweepObjective {
  const m = canonicalMetric(metric);
  const given = direction === 'maximize' || direction === 'minimize' ? (direction as MetricDirection) : undefined;
  const dir: MetricDirection = given ?? (MINIMIZED.has(m) || (COST_METRICS as readonly string[]).includes(m) ? 'minimize' : 'maximize');
  if (m === 'final_loss') return { metric: m, direction: dir, summaryKey: 'final_loss', series: 'train/loss' };
  const cost = COST_FIELD[m as keyof typeof COST_FIELD];
  // costs are measurements, not series; summaryKey names the measurement field read first
  if (cost) return { metric: m, direction: dir, summaryKey: cost[0], series: `cost/${m}` };
  return { metric: m, direction: dir, summaryKey: `eval_${m}`, series: `eval/${m}` };
}

/**
 * All of a sweep's objectives, primary first: the spec's `objectives` when given, else the
 * one `sweepObjective` gives.
 */
export function sweepObjectives(spec: unknown, task: ObjectiveTask = {}): SweepObjective[] {
  const list = (spec as { objectives?: { metric?: unknown; direction?: unknown }[] } | null | undefined)?.objectives;
  if (Array.isArray(list) && list.length > 0 && list.every((o) => typeof o?.metric === 'string')) {
    return list.map((o) => objectiveOf(o.metric as string, o.direction));
  }
  return [sweepObjective(spec, task)];
}

/** What a finished trial stored, as the queue keeps it. */
export interface TrialResultRecord {
  summary?: Record<string, unknown> | null;
  measurements?: Record<string, unknown> | null;
}

/** One objective's value for a finished trial, or null when the trial did not record it. */
export function objectiveValue(o: SweepObjective, r: TrialResultRecord): number | null {
  const cost = COST_FIELD[o.metric as keyof typeof COST_FIELD];
  const fields = cost ?? [o.summaryKey];
  const source = cost ? r.measurements : r.summary;
  for (const f of fields) {
    const v = source?.[f];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}
