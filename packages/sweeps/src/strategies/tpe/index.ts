/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011, as Optuna's TPESampler does it).
 * PLACEHOLDER until the estimator lands: draws at random from the search space, so the
 * adaptive pipeline (suggestTrial, the queue, ask-and-tell) works end to end.
 */
import type { Rng } from '../../prng.js';
import type { SearchEntry } from '../../search-space.js';
import type { HyperValue } from '../../hyperparameters.js';
import type { MetricDirection } from '../../early-stopping/history.js';
import { sampleEntryValues } from '../sample.js';

/** A finished (or running) trial as TPE sees it: which entry, its flat values, its objective values. */
export interface Observation {
  /** Index into the search entries. */
  entry: number;
  /** The trial's method hyperparameters and training parameters, by name (only those that applied). */
  values: Record<string, HyperValue>;
  /** One per objective, in the spec's objective order; null when the trial has no value. */
  objectives: (number | null)[];
  state: 'completed' | 'pruned' | 'failed' | 'running';
}

export interface TpeOptions {
  directions: readonly MetricDirection[];
  candidates: number;
}

export interface Suggestion {
  entry: number;
  values: Record<string, HyperValue>;
}

export function tpeSuggest(entries: readonly SearchEntry[], observations: readonly Observation[], rng: Rng, _opts: TpeOptions): Suggestion {
  void observations;
  const entry = rng.int(entries.length);
  return { entry, values: sampleEntryValues(entries[entry], rng) };
}
