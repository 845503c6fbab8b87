/**
 * Which observations make the "below" (good) estimator l(x) and which the "above" g(x), as
 * Optuna's `_split_trials` decides (`optuna/samplers/_tpe/sampler.py`, v5.0):
 *
 * - n = completed + pruned trials; the below set takes gamma(n) = min(⌈0.1·n⌉, 25) of them.
 * - completed trials first, best value first (several objectives: `splitMultiObjective`);
 * - then, if room is left, pruned trials: those that got further (larger last step) first, then
 *   by their last value; a pruned trial with neither step nor value ranks last;
 * - running trials always go above (Optuna's constant_liar, on by default since v5): a
 *   suggestion is steered away from configurations still being trained;
 * - failed trials, and completed ones without a usable value (null or NaN: Optuna marks those
 *   failed), are left out of both.
 */
import type { MetricDirection } from '../../early-stopping/history.js';
import type { Observation } from './observation.js';
import { splitMultiObjective } from './multi-objective.js';

/** Optuna's default_gamma: 10% of the trials, at most 25. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

export interface Split {
  /** Indices into the observations, ascending (trial order: default_weights ramps by it). */
  below: number[];
  above: number[];
}

function usable(v: number | null | undefined): v is number {
  return typeof v === 'number' && !Number.isNaN(v);
}

/** Loss: smaller is better (maximised objectives negated). */
export function lossOf(o: Observation, directions: readonly MetricDirection[]): number[] {
  return directions.map((d, k) => (d === 'maximize' ? -(o.objectives[k] as number) : (o.objectives[k] as number)));
}

/** Whether TPE counts the observation as completed (every objective has a value). */
export function isComplete(o: Observation, directions: readonly MetricDirection[]): boolean {
  return o.state === 'completed' && directions.every((_, k) => usable(o.objectives[k]));
}

/** Optuna's `_get_pruned_trial_score`: (−step, loss of the last value), smaller first. */
function prunedScore(o: Observation, directions: readonly MetricDirection[]): [number, number] {
  const v = o.objectives[0];
  if (!usable(v) && o.step === undefined) return [1, 0];
  const step = o.step ?? 0;
  if (!usable(v)) return [-step, Infinity];
  return [-step, directions[0] === 'maximize' ? -v : v];
}

/** Ascending order that copes with ±Infinity (a − b is NaN for two infinities). */
function compare(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function splitObservations(observations: readonly Observation[], directions: readonly MetricDirection[], gamma: (n: number) => number = defaultGamma): Split {
  const complete: number[] = [];
  const pruned: number[] = [];
  const running: number[] = [];
  observations.forEach((o, i) => {
    if (o.state === 'running') running.push(i);
    else if (o.state === 'pruned') pruned.push(i);
    else if (isComplete(o, directions)) complete.push(i);
  });
  let nBelow = gamma(complete.length + pruned.length);

  let belowComplete: number[];
  const nComplete = Math.min(nBelow, complete.length);
  if (directions.length <= 1) {
    // a stable sort, as Python's sorted: ties keep trial order
    const byLoss = [...complete].sort((i, j) => compare(lossOf(observations[i], directions)[0], lossOf(observations[j], directions)[0]) || i - j);
    belowComplete = byLoss.slice(0, nComplete);
  } else {
    belowComplete = splitMultiObjective(complete.map((i) => lossOf(observations[i], directions)), nComplete).map((k) => complete[k]);
  }
  nBelow = Math.max(0, nBelow - belowComplete.length);

  const byScore = [...pruned].sort((i, j) => {
    const a = prunedScore(observations[i], directions);
    const b = prunedScore(observations[j], directions);
    return compare(a[0], b[0]) || compare(a[1], b[1]) || i - j;
  });
  const belowPruned = byScore.slice(0, Math.min(nBelow, pruned.length));

  const below = new Set([...belowComplete, ...belowPruned]);
  return {
    below: [...below].sort((a, b) => a - b),
    above: observations.flatMap((o, i) => (!below.has(i) && (o.state === 'running' || o.state === 'pruned' || complete.includes(i)) ? [i] : [])),
  };
}
