// A spec's trials in the shape the queue stores them. One layout for every way a
// sweep is submitted (CLI, API, dashboard), because the worker reads it back.
import { expandSweep } from './expand.js';
import type { HyperValue } from './hyperparameters.js';
import type { SweepSpec } from './spec.js';

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

/** Default retry budget: chaos-tolerant (a worker killed mid-trial costs an attempt). */
export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Expands a validated spec into queue records.
 * @example trialRecords(parseSweepSpec(yaml)).length === countTrials(spec)
 */
export function trialRecords(spec: SweepSpec, opts: { maxAttempts?: number } = {}): TrialRecord[] {
  return expandSweep(spec).map((t) => ({
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
    },
    ...(typeof t.training.maxSteps === 'number' ? { progressTotal: t.training.maxSteps } : {}),
  }));
}
