/**
 * The plain data a report is made from. Whoever exports (CLI, API, dashboard)
 * reads the database and hands this shape over; this package never queries.
 * Validated once at the edge by `parseReportInput`; everything inside the
 * package can then trust the types.
 */
import * as z from 'zod';
import { METHOD_NAMES, type MethodName } from '@peft-lab/engine/methods';
import { ReportInputError } from './errors.js';

/** Every registered method, in registry order (the engine's TF-free `@peft-lab/engine/methods`); a trial's method must be one. */
export const METHODS = METHOD_NAMES;
export type Method = MethodName;

export const TRIAL_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'pruned'] as const;
export type TrialStatus = (typeof TRIAL_STATUSES)[number];

/** Dates may arrive as Date (Prisma) or ISO strings (JSON); reports always print ISO strings. */
const isoDate = z.union([z.string().min(1), z.date().transform((d) => d.toISOString())]);
const nullableNumber = z.number().nullable().optional();

export const hyperparameterValueSchema = z.union([z.number(), z.string(), z.boolean(), z.array(z.string()), z.null()]);
export type HyperparameterValue = z.infer<typeof hyperparameterValueSchema>;

/** What the engine measured for one trial; every field may be absent (failed trial, method without a merged form). */
export const measurementsSchema = z
  .object({
    trainableParams: nullableNumber,
    totalParams: nullableNumber,
    trainablePercent: nullableNumber,
    peakBytes: nullableNumber,
    /** TensorFlow's CPU allocator peak during the trial (native TensorFlow + PEFT Lab kernels). */
    peakAllocatorBytes: nullableNumber,
    /** The worker process's peak RSS during the trial (at least any earlier trial's in that process). */
    peakRssBytes: nullableNumber,
    tokensPerSec: nullableNumber,
    wallTimeS: nullableNumber,
    latencyMsBatch1: nullableNumber,
    latencyMsBatch8: nullableNumber,
    latencyMergedMsBatch1: nullableNumber,
    latencyMergedMsBatch8: nullableNumber,
    /**
     * Same-trial overheads: per-round latency ratios against the base model timed interleaved in
     * the same rounds (adapted/base; merged/base for methods that merge), median with Q1/Q3.
     * Absent on trials run before they existed (the claims then compare trials, and say so).
     */
    latencyRatioBatch1: nullableNumber,
    latencyRatioBatch1Q1: nullableNumber,
    latencyRatioBatch1Q3: nullableNumber,
    latencyRatioBatch8: nullableNumber,
    latencyMergedRatioBatch1: nullableNumber,
    latencyMergedRatioBatch1Q1: nullableNumber,
    latencyMergedRatioBatch1Q3: nullableNumber,
    latencyMergedRatioBatch8: nullableNumber,
    storedBytes: nullableNumber,
    /** Forgetting: trained minus base causal-LM loss (nats/token) on held-out general text; and the two losses. */
    forgettingLoss: nullableNumber,
    forgettingBaseLoss: nullableNumber,
    forgettingAdaptedLoss: nullableNumber,
    /** The forgetting sample's source, or why forgettingLoss is null (e.g. no LM head). */
    forgettingNote: z.string().nullable().optional(),
  })
  // Extra numeric measurements (startBytes, meanStepMs…) are kept and exported as extra CSV/JSON columns.
  .catchall(z.number().nullable());
export type Measurements = z.infer<typeof measurementsSchema>;

export const seriesPointSchema = z.object({ step: z.number(), value: z.number() });

export const trialInputSchema = z.object({
  id: z.string().min(1),
  index: z.number().int().nonnegative(),
  method: z.enum(METHODS),
  /** Display name of the spec entry (a method may appear twice with different labels). */
  label: z.string().nullable().optional(),
  hyperparameters: z.record(z.string(), hyperparameterValueSchema),
  seed: z.number().int(),
  status: z.enum(TRIAL_STATUSES),
  backend: z.string().nullable().optional(),
  error: z.string().nullable().optional(),
  startedAt: isoDate.nullable().optional(),
  finishedAt: isoDate.nullable().optional(),
  /** Final summary metrics, e.g. eval_accuracy, eval_f1, eval_perplexity, final_loss, steps, wall_time_s. */
  summary: z.record(z.string(), z.number().nullable()).nullable().optional(),
  measurements: measurementsSchema.nullable().optional(),
  /** Downsampled learning curves keyed by metric name (e.g. "train/loss", "eval/accuracy"). */
  series: z.record(z.string(), z.array(seriesPointSchema)).nullable().optional(),
});
export type TrialInput = z.infer<typeof trialInputSchema>;

export const reportInputSchema = z.object({
  sweep: z.object({
    id: z.string().min(1),
    name: z.string().min(1),
    status: z.string().min(1),
    spec: z.unknown(),
    baseModel: z.string().min(1),
    task: z.string().min(1),
    createdAt: isoDate,
    finishedAt: isoDate.nullable().optional(),
  }),
  objective: z.object({
    /** Metric name as in the spec ("accuracy"); a trial's value is `summary[metric]`, else `summary["eval_" + metric]`. */
    metric: z.string().min(1),
    direction: z.enum(['maximize', 'minimize']),
  }),
  trials: z.array(trialInputSchema),
});
/** The validated report input (dates normalised to ISO strings). */
export type ReportInput = z.infer<typeof reportInputSchema>;
/** What callers may pass in (dates may still be `Date`). */
export type ReportInputLike = z.input<typeof reportInputSchema>;

/**
 * Validate plain data at the edge.
 * @throws ReportInputError with one `path: problem (got value)` line per issue.
 */
export function parseReportInput(data: unknown): ReportInput {
  const r = reportInputSchema.safeParse(data);
  if (r.success) return r.data;
  const lines = r.error.issues.map((iss) => {
    const path = iss.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)';
    const got = valueAt(data, iss.path);
    return `${path}: ${iss.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)?.slice(0, 60)})`}`;
  });
  throw new ReportInputError(lines);
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** The objective's value for one trial, or null when the trial did not report it. */
export function trialMetric(trial: TrialInput, metric: string): number | null {
  const s = trial.summary;
  if (!s) return null;
  const v = s[metric] ?? s[`eval_${metric}`];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A stable key for a trial's configuration: same hyperparameters (and label) = same configuration, seeds aside. */
export function configKey(trial: Pick<TrialInput, 'method' | 'label' | 'hyperparameters'>): string {
  const hp = Object.keys(trial.hyperparameters)
    .sort()
    .map((k) => `${k}=${JSON.stringify(trial.hyperparameters[k])}`)
    .join(',');
  return `${trial.method}${trial.label ? `[${trial.label}]` : ''}{${hp}}`;
}
