/**
 * Median stopping rule (Google Vizier; Optuna's MedianPruner): at its k-th
 * evaluation, a trial is stopped when its metric is worse than the median of
 * the other trials' metrics at their k-th evaluation. Only trials that reached
 * evaluation k count (finished or further along), at least `minTrials` of them,
 * and never before `afterEvals` evaluations (warm-up).
 */
import { checkRuleInputs, fmt, goodness, type EvalHistory, type MetricDirection, type StopDecision } from './history.js';
import { EarlyStoppingInputError } from '../errors.js';

export interface MedianRuleOptions {
  /** The rule applies from this many evaluations on. */
  afterEvals: number;
  /** Other trials that must have reached the evaluation before anyone is stopped. */
  minTrials: number;
}

function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * @example medianStoppingDecision(myEvals, otherTrialsEvals, { afterEvals: 2, minTrials: 3 }, 'maximize')
 */
export function medianStoppingDecision(
  trialHistory: EvalHistory,
  othersHistories: readonly EvalHistory[],
  rule: MedianRuleOptions,
  direction: MetricDirection = 'maximize',
): StopDecision {
  checkRuleInputs(trialHistory, othersHistories, direction);
  if (!Number.isInteger(rule.afterEvals) || rule.afterEvals < 1) throw new EarlyStoppingInputError(`rule.afterEvals must be an integer ≥ 1 (got ${rule.afterEvals})`);
  if (!Number.isInteger(rule.minTrials) || rule.minTrials < 1) throw new EarlyStoppingInputError(`rule.minTrials must be an integer ≥ 1 (got ${rule.minTrials})`);

  const n = trialHistory.length;
  if (n === 0) return { stop: false, reason: 'no evaluation yet' };
  if (n < rule.afterEvals) return { stop: false, reason: `warm-up: evaluation ${n} of ${rule.afterEvals} before the median rule applies` };
  const k = n - 1;
  const value = trialHistory[k].value;
  // NaN sorts as the worst value, so a diverged trial is below any median of finite ones
  const others = othersHistories.filter((h) => h.length > k).map((h) => goodness(h[k].value, direction));
  if (others.length < rule.minTrials) {
    return { stop: false, reason: `only ${others.length} other trial(s) reached evaluation ${n}; the median rule needs ${rule.minTrials}` };
  }
  const med = median(others.sort((a, b) => a - b));
  const mine = goodness(value, direction);
  const medValue = direction === 'maximize' ? med : -med;
  if (mine < med) {
    return { stop: true, reason: `metric ${fmt(value)} at evaluation ${n} is ${direction === 'maximize' ? 'below' : 'above'} the median ${fmt(medValue)} of ${others.length} other trials` };
  }
  return { stop: false, reason: `metric ${fmt(value)} at evaluation ${n} is not worse than the median ${fmt(medValue)} of ${others.length} other trials` };
}
