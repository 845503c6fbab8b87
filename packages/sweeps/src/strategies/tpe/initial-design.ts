/**
 * The initial design: the draws a method gets before its parameters are modelled (the sweep's
 * startup trials, and each method's share of the first trials, `methodDesignTrials` in sampler.ts). Stratified,
 * not uniform: each parameter on its own is drawn from the emptiest of n + 1 equal strata of its
 * range (n: that method's earlier trials that have it; model space, so log ranges by decade),
 * uniformly inside the stratum; a categorical takes one of its least-used choices.
 *
 * Why: what a method's first trials must find is usually one parameter's window — its learning
 * rate, a ridge a few tenths of a decade wide in four decades. Uniform draws leave such a window
 * unvisited with probability (1 − w)^n; stratified ones cover the axis as evenly as n draws can,
 * as a Latin hypercube does, while each draw stays uniform inside its stratum (the marginal stays
 * uniform: the ends of a range are not favoured, as a maximin design would favour them). Per
 * parameter and not by distance in the joint space, because the window is on one axis; distance
 * in several dimensions spreads the joint points and leaves each axis as uneven as random draws
 * (measured: README, "The search benchmark").
 */
import type { Rng } from '../../prng.js';
import { applies, type SearchEntry } from '../../search-space.js';
import type { HyperValue } from '../../hyperparameters.js';
import type { ParamSpace } from './parzen-estimator.js';
import type { Observation, Suggestion } from './observation.js';
import { tpeDimension, type TpeDimension } from './space.js';

/** A draw in [low, high] from the emptiest of taken.length + 1 equal strata (ties at random). */
export function stratifiedDraw(taken: readonly number[], low: number, high: number, rng: Rng): number {
  const k = taken.length + 1;
  const counts = Array<number>(k).fill(0);
  for (const x of taken) counts[Math.min(k - 1, Math.max(0, Math.floor(((x - low) / (high - low)) * k)))] += 1;
  const least = Math.min(...counts);
  const emptiest = counts.flatMap((c, i) => (c === least ? [i] : []));
  const i = emptiest[rng.int(emptiest.length)];
  return low + ((i + rng.next()) / k) * (high - low);
}

/** One model-space value of `space` (a choice index, or a number on the space's grid). */
function drawOne(space: ParamSpace, taken: readonly number[], rng: Rng): number {
  if (space.type === 'categorical') {
    const uses = Array<number>(space.choices).fill(0);
    for (const c of taken) uses[c] += 1;
    const least = Math.min(...uses);
    const choices = uses.flatMap((u, c) => (u === least ? [c] : []));
    return choices[rng.int(choices.length)];
  }
  const { low, high, log, step } = space;
  const onGrid = (v: number) => Math.min(high, Math.max(low, step === null ? v : low + Math.round((v - low) / step) * step));
  if (log) return onGrid(Math.exp(stratifiedDraw(taken.map(Math.log), Math.log(low), Math.log(high), rng)));
  // a grid point: strata over [low − step/2, high + step/2], each point owning its cell, as Optuna's discrete kernels do
  const half = step === null ? 0 : step / 2;
  return onGrid(stratifiedDraw(taken, low - half, high + half, rng));
}

/**
 * One configuration of `entry`: each dimension that applies drawn by the initial design against
 * `earlier` (that entry's earlier trials' values, every state: running trials count, so parallel
 * suggestions spread too); fixed dimensions take their one value, a dimension no earlier trial
 * has is drawn as random search draws it.
 */
export function initialDesignValues(
  entry: SearchEntry,
  earlier: readonly Readonly<Record<string, HyperValue>>[],
  dimension: (d: SearchEntry['dims'][number]) => TpeDimension,
  rng: Rng,
): Record<string, HyperValue> {
  const values: Record<string, HyperValue> = {};
  for (const d of entry.dims) {
    if (!applies(d, values)) continue;
    const t = dimension(d);
    if (t.space === null) {
      values[d.def.name] = t.fromModel(0);
      continue;
    }
    const taken = earlier.flatMap((v) => {
      const x = v[d.def.name] === undefined ? null : t.toModel(v[d.def.name]);
      return x === null ? [] : [x];
    });
    values[d.def.name] = taken.length === 0 ? d.dim.sample(rng) : t.fromModel(drawOne(t.space, taken, rng));
  }
  return values;
}

/** The initial-design suggestion for `entry`, against its earlier trials in `observations`; `inputs` as TpeOptions has them. */
export function initialDesignSuggestion(
  entries: readonly SearchEntry[],
  observations: readonly Observation[],
  entry: number,
  inputs: readonly Readonly<Record<string, unknown>>[],
  rng: Rng,
): Suggestion {
  const earlier = observations.filter((o) => o.entry === entry).map((o) => o.values);
  return { entry, values: initialDesignValues(entries[entry], earlier, (d) => tpeDimension(d, inputs[entry]?.[d.def.name]), rng) };
}
