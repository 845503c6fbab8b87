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
  const metric = canonicalMetric(named ?? task.metric ?? (task.kind ? KIND_METRIC[task.kind] : undefined) ?? 'accuracy');
  const given = named && (o!.direction === 'maximize' || o!.direction === 'minimize') ? (o!.direction as MetricDirection) : undefined;
  const direction: MetricDirection = given ?? (MINIMIZED.has(metric) ? 'minimize' : 'maximize');
  return metric === 'final_loss'
    ? { metric, direction, summaryKey: 'final_loss', series: 'train/loss' }
    : { metric, direction, summaryKey: `eval_${metric}`, series: `eval/${metric}` };
}
