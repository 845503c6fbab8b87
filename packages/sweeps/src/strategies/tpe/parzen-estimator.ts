/**
 * One parameter's Parzen estimator — a weighted mixture with one kernel per observation plus
 * a prior kernel — as Optuna's `_ParzenEstimator` builds it for independent sampling
 * (`optuna/samplers/_tpe/parzen_estimator.py`, `probability_distributions.py`, v5.0):
 *
 * - numeric: truncated normals on [low, high] (log space for log ranges; ±step/2 for stepped
 *   and integer ones, which are then rounded to the step). Each kernel's bandwidth is the
 *   larger gap to its sorted neighbours (the range ends count as neighbours, except for the
 *   outermost kernels: consider_endpoints false), clipped to [(high−low)/min(100, 1+kernels),
 *   high−low] (consider_magic_clip). The prior kernel sits at the centre with σ = high−low.
 * - categorical: each kernel puts 1 on its observed choice plus prior_weight/kernels on every
 *   choice, normalised; the prior kernel is uniform.
 *
 * Mixture weights: `weights(n)` for the observations (Optuna's default_weights: flat below 25,
 * a ramp from 1/n for the oldest beyond), then prior_weight (1), normalised.
 */
import type { Rng } from '../../prng.js';
import { logGaussMass, truncnormFromQuantile, truncnormLogPdf } from './truncnorm.js';

const EPS = 1e-12;

/** What TPE models for one parameter: an index into choices, or a number in [low, high]. */
export type ParamSpace =
  | { readonly type: 'categorical'; readonly choices: number }
  /** step: grid spacing of a stepped or integer range (integers: 1); null for a continuous one. */
  | { readonly type: 'numeric'; readonly low: number; readonly high: number; readonly log: boolean; readonly step: number | null };

export interface ParzenEstimatorParameters {
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  /** Weights of n observations, oldest first. */
  weights: (n: number) => number[];
}

/** Optuna's default_weights: all 1 below 25 observations; beyond, the oldest n−25 ramp up from 1/n. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return Array<number>(n).fill(1);
  const ramp = n - 25;
  // np.linspace(1/n, 1, num=ramp)
  const out = Array.from({ length: ramp }, (_, i) => (ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1)));
  return [...out, ...Array<number>(25).fill(1)];
}

/** TPESampler's defaults (prior_weight 1, consider_magic_clip, not consider_endpoints, default_weights). */
export const DEFAULT_PARZEN_PARAMETERS: ParzenEstimatorParameters = {
  priorWeight: 1,
  considerMagicClip: true,
  considerEndpoints: false,
  weights: defaultWeights,
};

export type ParzenKernels =
  /** probs[k][c]: kernel k's probability of choice c (the last kernel is the prior). */
  | { readonly type: 'categorical'; readonly probs: readonly (readonly number[])[] }
  /** mus/sigmas in model space (log for log ranges); low/high/step/log as the space says. */
  | {
      readonly type: 'numeric';
      readonly mus: readonly number[];
      readonly sigmas: readonly number[];
      readonly low: number;
      readonly high: number;
      readonly step: number | null;
      readonly log: boolean;
    };

export interface ParzenEstimator {
  /** Mixture weights, summing to 1; the last one is the prior's. */
  readonly weights: readonly number[];
  readonly kernels: ParzenKernels;
}

/**
 * @param observations the parameter's values, oldest first: choice indices for a categorical
 *   space, the values themselves (not their logs) for a numeric one
 * @param predeterminedWeights one per observation, instead of `params.weights` (MOTPE's below set)
 */
export function fitParzenEstimator(
  observations: readonly number[],
  space: ParamSpace,
  params: ParzenEstimatorParameters = DEFAULT_PARZEN_PARAMETERS,
  predeterminedWeights?: readonly number[],
): ParzenEstimator {
  if (params.priorWeight < 0) throw new RangeError(`priorWeight must be ≥ 0 (got ${params.priorWeight})`);
  const n = observations.length;
  const raw = n === 0 ? [1] : [...(predeterminedWeights ?? params.weights(n).slice(0, n)), params.priorWeight];
  if (raw.length !== (n === 0 ? 1 : n + 1)) throw new RangeError(`one weight per observation needed (got ${raw.length - 1} for ${n})`);
  const total = raw.reduce((s, w) => s + w, 0);
  const weights = raw.map((w) => w / total);
  const kernels = space.type === 'categorical' ? categoricalKernels(observations, space.choices, params) : numericKernels(observations, space, params);
  return { weights, kernels };
}

function categoricalKernels(observations: readonly number[], choices: number, params: ParzenEstimatorParameters): ParzenKernels {
  if (observations.length === 0) return { type: 'categorical', probs: [Array<number>(choices).fill(1 / choices)] };
  const nKernels = observations.length + 1;
  const probs = Array.from({ length: nKernels }, (_, k) => {
    const row = Array<number>(choices).fill(params.priorWeight / nKernels);
    if (k < observations.length) row[observations[k]] += 1;
    const sum = row.reduce((s, p) => s + p, 0);
    return sum === 0 ? row : row.map((p) => p / sum);
  });
  return { type: 'categorical', probs };
}

/** Bounds in model space: ±step/2 around a stepped range, then log. */
function modelBounds(space: Extract<ParamSpace, { type: 'numeric' }>): [number, number] {
  let low = space.low;
  let high = space.high;
  if (space.step !== null) {
    low -= space.step / 2;
    high += space.step / 2;
  }
  return space.log ? [Math.log(low), Math.log(high)] : [low, high];
}

function numericKernels(observations: readonly number[], space: Extract<ParamSpace, { type: 'numeric' }>, params: ParzenEstimatorParameters): ParzenKernels {
  const [low, high] = modelBounds(space);
  const mus = observations.map((v) => (space.log ? Math.log(v) : v));
  const n = mus.length;
  const sigmas = Array<number>(n);
  if (n > 0) {
    // a stable sort: tied observations (common for integers) keep their order
    const order = mus.map((_, i) => i).sort((i, j) => mus[i] - mus[j] || i - j);
    const s = [low, ...order.map((i) => mus[i]), high];
    const sorted = order.map((_, k) => Math.max(s[k + 1] - s[k], s[k + 2] - s[k + 1]));
    if (!params.considerEndpoints && s.length >= 4) {
      sorted[0] = s[2] - s[1];
      sorted[n - 1] = s[s.length - 2] - s[s.length - 3];
    }
    const maxSigma = high - low;
    const minSigma = params.considerMagicClip ? (high - low) / Math.min(100, 1 + (n + 1)) : EPS;
    order.forEach((i, k) => {
      sigmas[i] = Math.min(maxSigma, Math.max(minSigma, sorted[k]));
    });
  }
  return {
    type: 'numeric',
    mus: [...mus, 0.5 * (low + high)],
    sigmas: [...sigmas, high - low],
    low: space.low,
    high: space.high,
    step: space.step,
    log: space.log,
  };
}

/** Round half to even, as np.round does. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Index of the first cumulative weight above u (np.random.choice with p). */
function pick(weights: readonly number[], u: number): number {
  let c = 0;
  for (let i = 0; i < weights.length; i++) {
    c += weights[i];
    if (u < c) return i;
  }
  return weights.length - 1;
}

/**
 * `size` draws: a kernel by the mixture weights, then a value from it. Draws consume the rng in
 * a fixed order (kernel, then value, per draw), so the same rng state gives the same draws.
 */
export function sampleParzen(pe: ParzenEstimator, rng: Rng, size: number): number[] {
  const out: number[] = [];
  for (let d = 0; d < size; d++) {
    const k = pick(pe.weights, rng.next());
    const kern = pe.kernels;
    if (kern.type === 'categorical') {
      out.push(pick(kern.probs[k], rng.next()));
      continue;
    }
    const [lo, hi] = modelBounds(kern);
    const mu = kern.mus[k];
    const sigma = kern.sigmas[k];
    let x = truncnormFromQuantile(rng.next(), (lo - mu) / sigma, (hi - mu) / sigma, mu, sigma);
    if (kern.log) x = Math.exp(x);
    if (kern.step !== null) x = Math.min(kern.high, Math.max(kern.low, kern.low + roundHalfEven((x - kern.low) / kern.step) * kern.step));
    out.push(x);
  }
  return out;
}

/** log of the mixture's density (numeric, continuous), mass (stepped) or probability (categorical) at x. */
export function parzenLogPdf(pe: ParzenEstimator, x: number): number {
  const kern = pe.kernels;
  const terms = pe.weights.map((w, k) => Math.log(w) + kernelLogPdf(kern, k, x));
  const max = Math.max(...terms);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(terms.reduce((s, t) => s + Math.exp(t - max), 0));
}

function kernelLogPdf(kern: ParzenKernels, k: number, x: number): number {
  if (kern.type === 'categorical') return Math.log(kern.probs[k][x]);
  const [lo, hi] = modelBounds(kern);
  const mu = kern.mus[k];
  const sigma = kern.sigmas[k];
  if (kern.step === null) return truncnormLogPdf(kern.log ? Math.log(x) : x, (lo - mu) / sigma, (hi - mu) / sigma, mu, sigma);
  const t = (v: number) => (kern.log ? Math.log(v) : v);
  const left = t(x - kern.step / 2);
  const right = t(x + kern.step / 2);
  return logGaussMass((left - mu) / sigma, (right - mu) / sigma) - logGaussMass((lo - mu) / sigma, (hi - mu) / sigma);
}
