/**
 * Asynchronous successive halving (ASHA, Li et al. 2020), in the stop-only
 * form Optuna's SuccessiveHalvingPruner uses: rungs sit at minEvals·η^r
 * evaluations; when a trial reaches a rung it continues only if its metric is
 * among the top 1/η of all trials (itself included) that reached that rung so
 * far. While fewer than η trials reached the rung, only the best continues
 * (a trial cannot be paused and resumed later here).
 */
import { checkRuleInputs, fmt, goodness, type EvalHistory, type MetricDirection, type StopDecision } from './history.js';
import { EarlyStoppingInputError } from '../errors.js';

export interface AshaOptions {
  /** Evaluations before the first rung. */
  minEvals: number;
  /** η ≥ 2. */
  reductionFactor: number;
}

/** The rung (0-based) whose evaluation count is exactly `evals`, or null. */
export function ashaRungAt(evals: number, rule: AshaOptions): number | null {
  let at = rule.minEvals;
  for (let r = 0; at <= evals; r++, at *= rule.reductionFactor) if (at === evals) return r;
  return null;
}

export function ashaDecision(
  trialHistory: EvalHistory,
  othersHistories: readonly EvalHistory[],
  rule: AshaOptions,
  direction: MetricDirection = 'maximize',
): StopDecision {
  checkRuleInputs(trialHistory, othersHistories, direction);
  if (!Number.isInteger(rule.minEvals) || rule.minEvals < 1) throw new EarlyStoppingInputError(`rule.minEvals must be an integer ≥ 1 (got ${rule.minEvals})`);
  if (!Number.isInteger(rule.reductionFactor) || rule.reductionFactor < 2) throw new EarlyStoppingInputError(`rule.reductionFactor must be an integer ≥ 2 (got ${rule.reductionFactor})`);

  const n = trialHistory.length;
  const rung = ashaRungAt(n, rule);
  if (rung === null) return { stop: false, reason: `evaluation ${n} is not a rung` };
  const k = n - 1;
  const mine = goodness(trialHistory[k].value, direction);
  const competing = [mine, ...othersHistories.filter((h) => h.length > k).map((h) => goodness(h[k].value, direction))].sort((a, b) => b - a);
  const keep = Math.max(1, Math.floor(competing.length / rule.reductionFactor));
  const threshold = competing[keep - 1];
  const shown = (g: number) => fmt(direction === 'maximize' ? g : -g);
  if (mine >= threshold) return { stop: false, reason: `rung ${rung}: metric ${shown(mine)} is in the top ${keep} of ${competing.length}` };
  return { stop: true, reason: `rung ${rung}: metric ${shown(mine)} is not in the top ${keep} of ${competing.length} (cut-off ${shown(threshold)})` };
}
