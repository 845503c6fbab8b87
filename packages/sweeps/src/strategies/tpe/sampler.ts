/**
 * The TPE suggestion (Bergstra et al. 2011, as Optuna's TPESampler does it with independent
 * sampling): split the observations into below (the best gamma(n)) and above, then for each
 * parameter fit l(x) to the below trials' values and g(x) to the above ones', draw `candidates`
 * values from l(x) and keep the one with the largest log l(x) − log g(x).
 *
 * The space is conditional, as a define-by-run Optuna objective would write it: the method entry
 * is a categorical sampled first (fitted from every trial); then each of that entry's dimensions
 * that applies, in order (so a condition's controller is drawn before what it controls), from
 * estimators that see only the observations where that dimension exists — LoRA's r only from
 * LoRA trials, reparamHidden only from prefix trials with reparameterize true. The split is one
 * for all parameters: a parameter's below set is the globally good trials that have it.
 *
 * Training parameters are per entry, not pooled across methods: lr of LoRA and lr of full
 * fine-tuning are two parameters. Their good regions differ by about 10× (a LoRA adapter wants
 * a far larger learning rate than the full model), so one pooled estimator would be bimodal
 * and push each method towards the other's optimum. (In Optuna's terms: `lr_lora`, `lr_full`.)
 */
import type { Rng } from '../../prng.js';
import { applies, type SearchEntry } from '../../search-space.js';
import type { HyperValue } from '../../hyperparameters.js';
import { DEFAULT_PARZEN_PARAMETERS, fitParzenEstimator, parzenLogPdf, sampleParzen, type ParamSpace } from './parzen-estimator.js';
import { lossOf, splitObservations } from './split.js';
import { hypervolumeWeights } from './multi-objective.js';
import { tpeDimension } from './space.js';
import type { Observation, Suggestion, TpeOptions } from './observation.js';

/** One parameter: fit l and g from the observations `valueOf` maps (null: not in this parameter), draw, compare. */
function sampleParameter(
  space: ParamSpace,
  below: readonly number[],
  above: readonly number[],
  valueOf: (obsIndex: number) => number | null,
  rng: Rng,
  candidates: number,
  belowWeights: ReadonlyMap<number, number> | null,
): number {
  const belowIdx = below.filter((i) => valueOf(i) !== null);
  const aboveVals = above.map(valueOf).filter((v): v is number => v !== null);
  const weights = belowWeights ? belowIdx.map((i) => belowWeights.get(i) as number) : undefined;
  const l = fitParzenEstimator(belowIdx.map((i) => valueOf(i) as number), space, DEFAULT_PARZEN_PARAMETERS, weights);
  const g = fitParzenEstimator(aboveVals, space, DEFAULT_PARZEN_PARAMETERS);
  const draws = sampleParzen(l, rng, candidates);
  let best = draws[0];
  let bestScore = -Infinity;
  for (const x of draws) {
    const score = parzenLogPdf(l, x) - parzenLogPdf(g, x);
    // first maximum wins, as np.argmax
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  return best;
}

/**
 * @param observations the history, in trial order (index = trial number)
 * @returns the entry and the values of its dimensions that apply (conditional ones only where they do)
 */
export function tpeSuggest(entries: readonly SearchEntry[], observations: readonly Observation[], rng: Rng, opts: TpeOptions): Suggestion {
  const { directions, candidates } = opts;
  const { below, above } = splitObservations(observations, directions);
  let belowWeights: Map<number, number> | null = null;
  if (directions.length > 1) {
    // below trials are all completed or pruned; pruned ones carry no full loss vector: weight 1
    const complete = below.filter((i) => observations[i].state === 'completed');
    const w = hypervolumeWeights(complete.map((i) => lossOf(observations[i], directions)));
    belowWeights = new Map(below.map((i) => [i, 1]));
    complete.forEach((i, k) => belowWeights!.set(i, w[k]));
  }

  const entry =
    entries.length === 1
      ? 0
      : sampleParameter({ type: 'categorical', choices: entries.length }, below, above, (i) => observations[i].entry, rng, candidates, belowWeights);

  const values: Record<string, HyperValue> = {};
  entries[entry].dims.forEach((d) => {
    if (!applies(d, values)) return;
    const t = tpeDimension(d, opts.inputs[entry]?.[d.def.name]);
    if (t.space === null) {
      values[d.def.name] = t.fromModel(0);
      return;
    }
    const valueOf = (i: number): number | null => {
      const o = observations[i];
      const v = o.entry === entry ? o.values[d.def.name] : undefined;
      return v === undefined ? null : t.toModel(v);
    };
    values[d.def.name] = t.fromModel(sampleParameter(t.space, below, above, valueOf, rng, candidates, belowWeights));
  });
  return { entry, values };
}
