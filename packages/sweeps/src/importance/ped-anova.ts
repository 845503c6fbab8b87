/**
 * Hyperparameter importance by PED-ANOVA (Watanabe, Bansal, Hutter 2023,
 * https://arxiv.org/abs/2304.10255), as Optuna 5's default `PedAnovaImportanceEvaluator`
 * (`optuna/importance/_ped_anova/`) computes it: the top trials (the best `targetQuantile`,
 * 10 %) and the region (the best `regionQuantile`, all trials); per parameter, a 1-D Parzen
 * estimator of the top trials and one of the region on the same grid, and the Pearson
 * divergence Σ p_region (p_top / p_region − 1)² between them; normalised to sum 1 over the
 * parameters (get_param_importances' normalize).
 *
 * Conditional parameters (r exists only for LoRA, reparamHidden only with reparameterize) as
 * Optuna 5 does it (conditional PED-ANOVA, https://arxiv.org/abs/2601.20800): a parameter is
 * scored on the region trials that have it (its active regime, kept when it holds ≥ 2), against
 * the top trials among those, and the divergence is weighted α² / β (α: the share of the top
 * trials that have it, β: the share of the region) — a knob that only some top trials have
 * counts for that much.
 *
 * Why PED-ANOVA and not fANOVA: fANOVA fits a random forest over every trial's full parameter
 * vector — randomised, slow on thousands of trials, and a conditional space leaves holes the
 * forest must impute. PED-ANOVA is closed-form and deterministic, costs O(trials × grid), needs
 * no forest and handles conditional parameters exactly, as above.
 *
 * A parameter's domain — the grid its estimators live on — comes from the sweep's spec when the
 * caller passes it (`spec`, as stored with the sweep; space.ts searchSpaceDomains), as Optuna
 * takes it from the trial's distribution: a range is read over its declared min..max on its
 * declared scale (log or linear; int; a step's points), a list as a categorical over its
 * choices, widened only to cover a trial value outside it (an earlier spec). Without a spec (or
 * one that no longer validates), and for a parameter the spec does not declare, it is inferred
 * from the values the completed trials took (parameters.ts domainOf): their least to greatest,
 * a number spanning a factor 50 or more read on a log scale, integers as an integer domain.
 * A parameter whose trials all took one value is not scored, whatever its domain.
 *
 * Departure from Optuna: the top must hold at least `minTopTrials` (2) by the quantile alone:
 * with fewer trials the result says how many are needed instead of giving numbers.
 */
import { METHOD_NAMES } from '../hyperparameters.js';
import { cellCounts, parzenPmf } from './parzen.js';
import type { ParamDomain } from './parzen.js';
import { domainOf, trialParameters, type ParamScalar } from './parameters.js';
import { coverValues, storedSpecDomains } from './space.js';
import { quantileFilter, trialsNeeded } from './quantile-filter.js';

/** A regime (the trials that have a parameter) is scored when it holds this many (Optuna's min_n_trials_in_regime). */
const MIN_TRIALS_IN_REGIME = 2;

/** A trial as the sweep stores it. */
export interface ImportanceTrial {
  method: string;
  /** Method hyperparameters, the `training` block and the bookkeeping keys (configKey, label…), as stored. */
  hyperparameters: Record<string, unknown> | null | undefined;
  /** The objective's value; null when the trial gave none. */
  value: number | null;
  /** Only completed trials count (Optuna: COMPLETE); absent means completed. */
  status?: string;
}

export interface ImportanceOptions {
  direction: 'maximize' | 'minimize';
  /** The top trials whose parameters are explained: the best 10 % (Optuna's target_quantile). */
  targetQuantile?: number;
  /** The region they are compared against: 1 = every trial (Optuna's region_quantile). */
  regionQuantile?: number;
  /** The top quantile must hold at least this many trials, else "not enough trials" (Optuna 3's min_n_top_trials; 5 has none). */
  minTopTrials?: number;
  /** Weight of each estimator's prior kernel (Optuna's prior_weight). */
  priorWeight?: number;
  /**
   * The sweep's spec as stored (validated here): each parameter's domain is its declared range or
   * choices. Absent, null or not a valid spec: domains are inferred from the trials' values.
   */
  spec?: unknown;
}

export interface ParameterImportance {
  /** `method`, `<method>.<hyperparameter>` (lora.r) or a training parameter (lr). */
  param: string;
  /** Share of the total (the scored parameters' importances sum to 1). */
  importance: number;
  /** Region trials (completed, all of them at regionQuantile 1) that had the parameter. */
  trials: number;
  /** Of those, how many were top trials. */
  topTrials: number;
}

export type ImportanceResult =
  | {
    ok: true;
    completed: number;
    needed: number;
    /** Most important first (ties by name). */
    importances: ParameterImportance[];
    /** Varying parameters set in fewer than 2 region trials (Optuna drops such a regime). */
    unscored: { param: string; trials: number; message: string }[];
  }
  | { ok: false; reason: 'not-enough-trials' | 'nothing-varies'; completed: number; needed: number; message: string };

/**
 * Per parameter, its importance to reaching the top trials of `trials`.
 * @returns `ok: false` with "not enough trials: needs N completed, has M" when the top
 *   quantile cannot hold `minTopTrials` trials; with "nothing varies" when every completed
 *   trial has the same parameters
 * @example
 * const r = parameterImportance(trials, { direction: 'maximize' });
 * if (r.ok) r.importances[0]; // { param: 'lora.r', importance: 0.71, trials: 40, topTrials: 4 }
 * else r.message;             // 'not enough trials: needs 11 completed, has 6'
 */
export function parameterImportance(trials: readonly ImportanceTrial[], opts: ImportanceOptions): ImportanceResult {
  return importanceIn(trials, opts, storedSpecDomains(opts.spec));
}

function importanceIn(trials: readonly ImportanceTrial[], opts: ImportanceOptions, declared: ReadonlyMap<string, ParamDomain> | null): ImportanceResult {
  const targetQuantile = opts.targetQuantile ?? 0.1;
  const regionQuantile = opts.regionQuantile ?? 1;
  const minTop = opts.minTopTrials ?? 2;
  const priorWeight = opts.priorWeight ?? 1;
  if (!(targetQuantile > 0 && targetQuantile < regionQuantile && regionQuantile <= 1)) {
    throw new RangeError(`targetQuantile and regionQuantile must satisfy 0 < targetQuantile < regionQuantile ≤ 1 (got ${targetQuantile}, ${regionQuantile})`);
  }
  const needed = trialsNeeded(targetQuantile, minTop);
  const sign = opts.direction === 'minimize' ? 1 : -1;
  const done = trials
    .filter((t) => (t.status === undefined || t.status === 'completed') && typeof t.value === 'number' && Number.isFinite(t.value))
    .map((t) => ({ loss: sign * (t.value as number), params: trialParameters(t.method, t.hyperparameters) }));
  if (done.length < needed) {
    return { ok: false, reason: 'not-enough-trials', completed: done.length, needed, message: `not enough trials: needs ${needed} completed, has ${done.length}` };
  }

  const target = quantileFilter(done.map((t) => t.loss), targetQuantile, minTop);
  const region = quantileFilter(done.map((t) => t.loss), regionQuantile, minTop);
  const targetCount = target.filter(Boolean).length;
  const regionCount = region.filter(Boolean).length;
  const names = [...new Set(done.flatMap((t) => [...t.params.keys()]))].sort();
  const scored: ParameterImportance[] = [];
  const unscored: { param: string; trials: number; message: string }[] = [];
  for (const param of names) {
    const taken = done.filter((t) => t.params.has(param)).map((t) => t.params.get(param) as ParamScalar);
    // one value taken (or none): nothing to explain, whatever the space allowed
    const inferred = domainOf(taken);
    if (!inferred) continue;
    const fromSpec = declared?.get(param);
    const domain = (fromSpec && coverValues(fromSpec, taken)) ?? inferred;
    // the active regime: region trials that have the parameter
    const regime = done.map((t, i) => ({ t, top: target[i] })).filter(({ t }, i) => region[i] && t.params.has(param));
    if (regime.length < MIN_TRIALS_IN_REGIME) {
      unscored.push({ param, trials: regime.length, message: `not enough trials: ${param} is set in ${regime.length} of ${regionCount}` });
      continue;
    }
    const values = regime.map(({ t }) => t.params.get(param) as ParamScalar);
    const topValues = values.filter((_, i) => regime[i].top);
    let divergence = 0;
    if (topValues.length > 0) {
      const pTop = parzenPmf(domain, cellCounts(domain, topValues), priorWeight);
      const pRegion = parzenPmf(domain, cellCounts(domain, values), priorWeight);
      for (let i = 0; i < pTop.length; i++) {
        const a = pTop[i] + 1e-12;
        const b = pRegion[i] + 1e-12;
        divergence += b * (a / b - 1) ** 2;
      }
      const alpha = topValues.length / targetCount;
      const beta = regime.length / regionCount;
      divergence *= ((alpha * alpha) / beta) * (targetCount / regionCount) ** 2;
    }
    scored.push({ param, importance: divergence, trials: regime.length, topTrials: topValues.length });
  }
  if (scored.length === 0 && unscored.length === 0) {
    return { ok: false, reason: 'nothing-varies', completed: done.length, needed, message: `nothing varies: the ${done.length} completed trials share every parameter` };
  }
  const sum = scored.reduce((s, p) => s + p.importance, 0);
  for (const p of scored) p.importance = sum > 0 ? p.importance / sum : 1 / scored.length;
  scored.sort((a, b) => b.importance - a.importance || a.param.localeCompare(b.param));
  return { ok: true, completed: done.length, needed, importances: scored, unscored };
}

/** One method's importances, over that method's trials only. */
export interface MethodImportance {
  method: string;
  result: ImportanceResult;
}

/**
 * `parameterImportance` per method (the registry's method order), each over only that
 * method's trials: which of LoRA's own knobs mattered, with the method itself out of it.
 */
export function parameterImportanceByMethod(trials: readonly ImportanceTrial[], opts: ImportanceOptions): MethodImportance[] {
  const order: readonly string[] = METHOD_NAMES;
  const rank = (m: string) => (order.indexOf(m) + 1 || order.length + 1);
  const methods = [...new Set(trials.map((t) => t.method))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const declared = storedSpecDomains(opts.spec);
  return methods.map((method) => ({ method, result: importanceIn(trials.filter((t) => t.method === method), opts, declared) }));
}
