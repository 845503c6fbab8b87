/**
 * The TPE suggestion (Bergstra et al. 2011, as Optuna's TPESampler does it with independent
 * sampling): split the observations into below (the best gamma(n)) and above, then for each
 * parameter fit l(x) to the below trials' values and g(x) to the above ones', draw `candidates`
 * values from l(x) and keep the one with the largest log l(x) − log g(x).
 *
 * The space is conditional, as a define-by-run Optuna objective would write it: the method entry
 * is chosen first (Optuna: a categorical fitted from every trial; see the departures below); then each of that entry's dimensions
 * that applies, in order (so a condition's controller is drawn before what it controls), from
 * estimators that see only the observations where that dimension exists — LoRA's r only from
 * LoRA trials, reparamHidden only from prefix trials with reparameterize true. Optuna's split is
 * one for all parameters: a parameter's below set is the globally good trials that have it.
 *
 * Training parameters are per entry, not pooled across methods: lr of LoRA and lr of full
 * fine-tuning are two parameters. Their good regions differ by about 10× (a LoRA adapter wants
 * a far larger learning rate than the full model), so one pooled estimator would be bimodal
 * and push each method towards the other's optimum. (In Optuna's terms: `lr_lora`, `lr_full`.)
 *
 * Departures from Optuna (single objective, several method entries only; one entry, or several
 * objectives (MOTPE), is Optuna's sampler unchanged). With several methods of similar quality
 * Optuna's TPE — and ours when it did the same — settled on the first method whose learning-rate
 * ridge it hit (every below trial is that method's, so the method categorical's l/g picks it for
 * nearly every candidate) and lost to random search on the benchmark (bench/search.ts). Three
 * changes; README, "The search benchmark", has every variant measured and its figures.
 *
 * 1. Method choice by optimism, not l/g (`chooseEntry`): a UCB over the entries' best-so-far —
 *    each entry's best rank among the completed trials (0 best, 1 worst) minus
 *    0.6·sqrt(ln N · u / n_entry) (`METHOD_EXPLORATION`), u = max(1, 2·d / n_entry) with d the
 *    entry's number of searched parameters (`METHOD_TRIALS_PER_PARAMETER`), the smallest wins.
 *    A method not yet tuned keeps being revisited until its best means something, and "enough"
 *    grows with its dimensionality; u is floored at 1, so a method with one parameter (full
 *    fine-tuning: its lr) keeps the plain bonus (dividing the count by d starved it, and lost to
 *    random where full fine-tuning is the best method). The weight was 1.2 before the initial
 *    design (2) took over the exploring; after it, 1.2 kept the methods close to round-robin
 *    (a bonus of ~0.8 against best ranks 0-0.3), and 0.6 gave lora-adapter-targets @60
 *    0.9447 against 0.9420 (200 seeds), the other cells level.
 * 2. An initial design per method: each method gets a share of the first trials,
 *    `methodDesignTrials` — 2 per searched parameter plus 2, at least 7 (`METHOD_DESIGN_MIN`), so
 *    8 for a three-parameter method and 16 for a seven-parameter LoRA. While some method is short
 *    of its share (trials of every state), the one furthest from it (fewest trials / share) gets
 *    the next, its values stratified (initial-design.ts: each parameter in the emptiest of n + 1
 *    strata of its range) — except the leading method (the best completed trial's), which once
 *    it has 4 completed or pruned trials (`LEADER_MODELLED_FROM`) fills its design slots from
 *    the model. A method is chosen by the UCB and modelled only once it has its share completed
 *    or pruned. Why: a method's first few trials are noise (TPE from a method's 3-5 trials lost
 *    to the stratified draws, and a best method whose lr window is narrow —
 *    narrow-prompt-accuracy — was dropped before its window was found), so every method gets
 *    an even look first; a method with more parameters needs more trials for that look, and the
 *    share sized by the parameter count is what lets a clearly best many-parameter method
 *    (lora-adapter-targets) get the trials Optuna's concentration gives it, while the leader's
 *    modelled slots exploit without taking a trial from any other method.
 * 3. A method's parameters are fitted from the global below trials of that method plus its own
 *    best gamma(n_method) (`entrySplit`), so a method the UCB revisits is modelled from its own
 *    best trials, not from the prior alone; the method that fills the global below set keeps it.
 */
import type { Rng } from '../../prng.js';
import { applies, type SearchEntry } from '../../search-space.js';
import type { HyperValue } from '../../hyperparameters.js';
import type { MetricDirection } from '../../early-stopping/history.js';
import { DEFAULT_PARZEN_PARAMETERS, fitParzenEstimator, parzenLogPdf, sampleParzen, type ParamSpace } from './parzen-estimator.js';
import { isComplete, lossOf, splitObservations, type Split } from './split.js';
import { hypervolumeWeights } from './multi-objective.js';
import { tpeDimension } from './space.js';
import { initialDesignSuggestion } from './initial-design.js';
import type { Observation, Suggestion, TpeOptions } from './observation.js';

/** The fewest trials a method gets in the initial design (departure 2). */
export const METHOD_DESIGN_MIN = 7;
/** From this many completed or pruned trials of its own, the leading method is modelled in its design slots (departure 2). */
export const LEADER_MODELLED_FROM = 4;
/** The UCB's exploration weight on the method choice (departure 1). */
export const METHOD_EXPLORATION = 0.6;
/** Trials per searched parameter below which a method's UCB bonus is raised (departure 1). */
export const METHOD_TRIALS_PER_PARAMETER = 2;

/** Per entry, how many of its dimensions are searched (not a single fixed value). */
export function searchedCounts(entries: readonly SearchEntry[], opts: Pick<TpeOptions, 'inputs'>): number[] {
  return entries.map((e, k) => e.dims.filter((d) => tpeDimension(d, opts.inputs[k]?.[d.def.name]).space !== null).length);
}

/**
 * A method's trials in the initial design, and the completed or pruned ones it needs before its
 * parameters are modelled (departure 2): 2 per searched parameter plus 2, at least 7 — so
 * 8 for a three-parameter method, 16 for LoRA searching seven.
 */
export function methodDesignTrials(searched: number): number {
  return Math.max(METHOD_DESIGN_MIN, METHOD_TRIALS_PER_PARAMETER * (searched + 1));
}

/** Per entry of a spec's search, its trials in the initial design (methodDesignTrials of its searched parameters). */
export function designTrials(entries: readonly SearchEntry[], inputs: TpeOptions['inputs']): number[] {
  return searchedCounts(entries, { inputs }).map(methodDesignTrials);
}

/** The completed or pruned trials of `entry`: what it is judged by. */
function judged(observations: readonly Observation[], directions: readonly MetricDirection[], entry: number): number {
  return observations.filter((o) => o.entry === entry && (o.state === 'pruned' || isComplete(o, directions))).length;
}

/** The entry of the best completed trial, or null before any. */
function leadingEntry(observations: readonly Observation[], directions: readonly MetricDirection[]): number | null {
  let best: Observation | null = null;
  for (const o of observations) {
    if (isComplete(o, directions) && (best === null || lossOf(o, directions)[0] < lossOf(best, directions)[0])) best = o;
  }
  return best === null ? null : best.entry;
}

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
 * Departure 1: the entry with the smallest best rank − c·sqrt(ln N · u / n), u = max(1, 2·d / n)
 * with d the entry's number of searched parameters (`searched`; absent: 1). Ranks are over the
 * completed trials (0 the best, 1 the worst; an entry with none ranks 1); n counts an entry's
 * trials of every state (running ones too: parallel suggestions spread over the methods), N all
 * trials. Ties go to the first entry from a random starting point.
 */
export function chooseEntry(
  entryCount: number,
  observations: readonly Observation[],
  directions: readonly MetricDirection[],
  rng: Rng,
  c = METHOD_EXPLORATION,
  searched: readonly number[] = [],
): number {
  const done = observations.flatMap((o, i) => (isComplete(o, directions) ? [i] : []));
  const loss = (i: number) => lossOf(observations[i], directions)[0];
  const order = [...done].sort((i, j) => (loss(i) < loss(j) ? -1 : loss(i) > loss(j) ? 1 : i - j));
  const rank = new Map(order.map((i, k) => [i, order.length > 1 ? k / (order.length - 1) : 0]));
  const logN = Math.log(Math.max(2, observations.length));
  const best = Array<number>(entryCount).fill(1);
  const count = Array<number>(entryCount).fill(0);
  observations.forEach((o, i) => {
    count[o.entry] += 1;
    const r = rank.get(i);
    if (r !== undefined && r < best[o.entry]) best[o.entry] = r;
  });
  const start = rng.int(entryCount);
  let entry = start;
  let bestScore = Infinity;
  for (let q = 0; q < entryCount; q++) {
    const m = (start + q) % entryCount;
    const n = count[m];
    // while under-explored for its dimensionality (n < 2·d), the bonus is multiplied by sqrt(2·d / n); never below the plain one
    const uncertainty = n === 0 ? 1 : Math.max(1, (METHOD_TRIALS_PER_PARAMETER * (searched[m] ?? 1)) / n);
    const score = n === 0 ? -Infinity : best[m] - c * Math.sqrt((logN * uncertainty) / n);
    if (score < bestScore) {
      bestScore = score;
      entry = m;
    }
  }
  return entry;
}

/**
 * Departure 3: the below set for one entry's parameters — the global below trials of that entry
 * and the entry's own best gamma(n_entry) (its own split, as splitObservations does it) — and
 * the rest of the entry's trials above.
 */
export function entrySplit(observations: readonly Observation[], directions: readonly MetricDirection[], global: Split, entry: number): Split {
  const idx = observations.flatMap((o, i) => (o.entry === entry ? [i] : []));
  const own = splitObservations(
    idx.map((i) => observations[i]),
    directions,
  );
  const below = new Set([...global.below.filter((i) => observations[i].entry === entry), ...own.below.map((k) => idx[k])]);
  const ranked = new Set([...own.below, ...own.above].map((k) => idx[k]));
  return {
    below: [...below].sort((a, b) => a - b),
    above: idx.filter((i) => ranked.has(i) && !below.has(i)),
  };
}

/**
 * @param observations the history, in trial order (index = trial number)
 * @returns the entry and the values of its dimensions that apply (conditional ones only where they do)
 */
export function tpeSuggest(entries: readonly SearchEntry[], observations: readonly Observation[], rng: Rng, opts: TpeOptions): Suggestion {
  const { directions, candidates } = opts;
  const global = splitObservations(observations, directions);
  let belowWeights: Map<number, number> | null = null;
  if (directions.length > 1) {
    // below trials are all completed or pruned; pruned ones carry no full loss vector: weight 1
    const complete = global.below.filter((i) => observations[i].state === 'completed');
    const w = hypervolumeWeights(complete.map((i) => lossOf(observations[i], directions)));
    belowWeights = new Map(global.below.map((i) => [i, 1]));
    complete.forEach((i, k) => belowWeights!.set(i, w[k]));
  }
  // Optuna's sampler for one entry or several objectives; the departures above otherwise
  const optuna = entries.length === 1 || directions.length > 1;

  const searched = searchedCounts(entries, opts);
  const design = searched.map(methodDesignTrials);
  if (!optuna) {
    // departure 2: the initial design, the method furthest from its share first (trials of every state), until each has its share
    const tried = entries.map(() => 0);
    for (const o of observations) tried[o.entry] += 1;
    const share = tried.map((n, k) => n / design[k]);
    const least = Math.min(...share);
    if (least < 1) {
      const fewest = share.flatMap((f, k) => (f === least ? [k] : []));
      const entry = fewest[rng.int(fewest.length)];
      // the leading method, once its best means something, fills its design slots from the model
      if (entry === leadingEntry(observations, directions) && judged(observations, directions, entry) >= LEADER_MODELLED_FROM) {
        return modelledSuggestion(entries, observations, entry, rng, opts, entrySplit(observations, directions, global, entry), belowWeights);
      }
      return initialDesignSuggestion(entries, observations, entry, opts.inputs, rng);
    }
  }
  const entry = entries.length === 1
    ? 0
    : optuna
      ? sampleParameter({ type: 'categorical', choices: entries.length }, global.below, global.above, (i) => observations[i].entry, rng, candidates, belowWeights)
      : chooseEntry(entries.length, observations, directions, rng, METHOD_EXPLORATION, searched);

  // its trials failed or are still running: its best is not known yet
  if (!optuna && judged(observations, directions, entry) < design[entry]) return initialDesignSuggestion(entries, observations, entry, opts.inputs, rng);
  return modelledSuggestion(entries, observations, entry, rng, opts, optuna ? global : entrySplit(observations, directions, global, entry), belowWeights);
}

/** The values of `entry`'s dimensions that apply, each drawn by sampleParameter from `split`. */
function modelledSuggestion(
  entries: readonly SearchEntry[],
  observations: readonly Observation[],
  entry: number,
  rng: Rng,
  opts: TpeOptions,
  { below, above }: Split,
  belowWeights: ReadonlyMap<number, number> | null,
): Suggestion {
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
    values[d.def.name] = t.fromModel(sampleParameter(t.space, below, above, valueOf, rng, opts.candidates, belowWeights));
  });
  return { entry, values };
}
