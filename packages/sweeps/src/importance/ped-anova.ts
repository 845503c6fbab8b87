/**
 * Hyperparameter importance by PED-ANOVA (Watanabe, Bansal, Hutter 2023,
 * https://arxiv.org/abs/2304.10255), as Optuna's default `PedAnovaImportanceEvaluator`
 * (`optuna/importance/_ped_anova/`) computes it: for each parameter, a 1-D Parzen estimator
 * of the top trials (the best `targetQuantile`, 10 %) and one of the region (the best
 * `regionQuantile`, all trials), both on the same grid; the importance is the Pearson
 * divergence of the top density from the region's, Σ p_region (p_top / p_region − 1)²,
 * normalised to sum 1 over the parameters.
 *
 * Why PED-ANOVA and not fANOVA: fANOVA needs a random forest fitted over every trial's full
 * parameter vector — randomised (a seeded forest still depends on the library), slow on
 * thousands of trials, and a conditional space (r exists only for LoRA) leaves holes the
 * forest must impute. PED-ANOVA is closed-form and deterministic, costs O(trials × grid),
 * and scores each parameter on the trials where it exists, so method-specific parameters
 * need no imputation.
 *
 * Departures from Optuna, because stored trials carry no search space: a parameter's domain
 * is the range (or the set) of values its trials took (parameters.ts domainOf), and a number
 * spanning a factor 50 or more is read on a log scale. A conditional parameter's region and
 * top are taken among the trials that have it.
 */
import { METHOD_NAMES } from '../hyperparameters.js';
import { cellCounts, parzenPmf } from './parzen.js';
import { domainOf, trialParameters, type ParamScalar } from './parameters.js';
import { quantileFilter, trialsNeeded } from './quantile-filter.js';

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
  /** The top must hold at least this many trials (Optuna's min_n_top_trials). */
  minTopTrials?: number;
  /** Weight of each estimator's prior kernel (Optuna's prior_weight). */
  priorWeight?: number;
}

export interface ParameterImportance {
  /** `method`, `<method>.<hyperparameter>` (lora.r) or a training parameter (lr). */
  param: string;
  /** Share of the total (the scored parameters' importances sum to 1). */
  importance: number;
  /** Completed trials that had the parameter. */
  trials: number;
  /** Of those, how many were in the top. */
  topTrials: number;
}

export type ImportanceResult =
  | {
    ok: true;
    completed: number;
    needed: number;
    /** Most important first (ties by name). */
    importances: ParameterImportance[];
    /** Varying parameters with too few trials of their own (e.g. reparamHidden in 4 trials). */
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
  const targetQuantile = opts.targetQuantile ?? 0.1;
  const regionQuantile = opts.regionQuantile ?? 1;
  const minTop = opts.minTopTrials ?? 2;
  const priorWeight = opts.priorWeight ?? 1;
  if (!(targetQuantile > 0 && targetQuantile <= regionQuantile && regionQuantile <= 1)) {
    throw new RangeError(`targetQuantile and regionQuantile must satisfy 0 < targetQuantile ≤ regionQuantile ≤ 1 (got ${targetQuantile}, ${regionQuantile})`);
  }
  const needed = trialsNeeded(targetQuantile, minTop);
  const sign = opts.direction === 'minimize' ? 1 : -1;
  const done = trials
    .filter((t) => (t.status === undefined || t.status === 'completed') && typeof t.value === 'number' && Number.isFinite(t.value))
    .map((t) => ({ loss: sign * (t.value as number), params: trialParameters(t.method, t.hyperparameters) }));
  if (done.length < needed) {
    return { ok: false, reason: 'not-enough-trials', completed: done.length, needed, message: `not enough trials: needs ${needed} completed, has ${done.length}` };
  }

  const names = [...new Set(done.flatMap((t) => [...t.params.keys()]))].sort();
  const scored: ParameterImportance[] = [];
  const unscored: { param: string; trials: number; message: string }[] = [];
  for (const param of names) {
    const having = done.filter((t) => t.params.has(param));
    const values = having.map((t) => t.params.get(param) as ParamScalar);
    const domain = domainOf(values);
    if (!domain) continue;
    if (having.length < needed) {
      unscored.push({ param, trials: having.length, message: `not enough trials: needs ${needed} completed with ${param}, has ${having.length}` });
      continue;
    }
    const losses = having.map((t) => t.loss);
    const top = quantileFilter(losses, targetQuantile, minTop);
    const region = quantileFilter(losses, regionQuantile, minTop);
    const pTop = parzenPmf(domain, cellCounts(domain, values.filter((_, i) => top[i])), priorWeight);
    const pRegion = parzenPmf(domain, cellCounts(domain, values.filter((_, i) => region[i])), priorWeight);
    let divergence = 0;
    for (let i = 0; i < pTop.length; i++) {
      const a = pTop[i] + 1e-12;
      const b = pRegion[i] + 1e-12;
      divergence += b * (a / b - 1) ** 2;
    }
    scored.push({ param, importance: divergence, trials: having.length, topTrials: top.filter(Boolean).length });
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
  return methods.map((method) => ({ method, result: parameterImportance(trials.filter((t) => t.method === method), opts) }));
}
