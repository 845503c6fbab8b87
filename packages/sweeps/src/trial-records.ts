// A spec's trials in the shape the queue stores them. One layout for every way a
// sweep is submitted (CLI, API, dashboard), because the worker reads it back.
import { expandSweep, type Trial } from './expand.js';
import type { HyperValue } from './hyperparameters.js';
import type { SweepSpec } from './spec.js';
import { isAdaptive } from './suggest.js';

export interface TrialRecord {
  index: number;
  method: string;
  seed: number;
  /** Lease expiries a trial survives before it fails. */
  maxAttempts: number;
  /**
   * The method's hyperparameters plus `training` (the trial's training parameters:
   * the worker reads them here), `configKey`, `isBaseline` and, when set, `label`.
   */
  hyperparameters: Record<string, HyperValue | boolean | Record<string, unknown>>;
  /** Steps the trial will run, when the spec fixes them (progress bars). */
  progressTotal?: number;
}

/** Keys a stored trial keeps beside its method hyperparameters (not hyperparameters themselves). */
export const TRIAL_BOOKKEEPING_KEYS: readonly string[] = ['training', 'configKey', 'isBaseline', 'label', 'entry'];

/** Default retry budget: chaos-tolerant (a worker killed mid-trial costs an attempt). */
export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Expands a validated spec into queue records. Adaptive strategies (tpe) expand to none:
 * their trials are suggested one at a time (`suggestTrial`) when a worker asks for work.
 * @example trialRecords(parseSweepSpec(yaml)).length === countTrials(spec)
 */
export function trialRecords(spec: SweepSpec, opts: { maxAttempts?: number } = {}): TrialRecord[] {
  if (isAdaptive(spec)) return [];
  return expandSweep(spec).map((t) => trialRecord(t, opts));
}

/** One trial (expanded or suggested) as the queue stores it. */
export function trialRecord(t: Trial, opts: { maxAttempts?: number } = {}): TrialRecord {
  return {
    index: t.index,
    method: t.method,
    seed: t.seed,
    maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    hyperparameters: {
      ...t.hyperparameters,
      training: { ...t.training },
      configKey: t.configKey,
      isBaseline: t.isBaseline,
      ...(t.label !== undefined ? { label: t.label } : {}),
      // which method entry the trial belongs to: a suggested trial cannot be found again by expanding the spec
      ...(t.entry !== null ? { entry: t.entry } : {}),
    },
    ...(typeof t.training.maxSteps === 'number' ? { progressTotal: t.training.maxSteps } : {}),
  };
}
