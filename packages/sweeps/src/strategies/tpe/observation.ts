import type { HyperValue } from '../../hyperparameters.js';
import type { MetricDirection } from '../../early-stopping/history.js';

/** A finished (or running) trial as TPE sees it: which entry, its flat values, its objective values. */
export interface Observation {
  /** Index into the search entries. */
  entry: number;
  /** The trial's method hyperparameters and training parameters, by name (only those that applied). */
  values: Record<string, HyperValue>;
  /**
   * One per objective, in the spec's objective order; null when the trial has no value. A pruned
   * trial's value is its last evaluation's (Optuna's last intermediate value), when known.
   */
  objectives: (number | null)[];
  /** The step of a pruned trial's last evaluation: pruned trials that got further rank first. */
  step?: number;
  state: 'completed' | 'pruned' | 'failed' | 'running';
}

export interface TpeOptions {
  directions: readonly MetricDirection[];
  /** Draws from l(x) per parameter; the one with the best l(x)/g(x) is suggested (Optuna's n_ei_candidates). */
  candidates: number;
  /**
   * Per entry, the spec's input of each dimension by name (`searchInputs(spec, entries)`): whether
   * a dimension is a range (modelled numerically) or a list (a categorical) is only known from it.
   */
  inputs: readonly Readonly<Record<string, unknown>>[];
}

export interface Suggestion {
  entry: number;
  values: Record<string, HyperValue>;
}
