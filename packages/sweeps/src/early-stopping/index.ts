import type { EarlyStoppingRule } from '../spec.js';
import { ashaDecision } from './asha.js';
import { medianStoppingDecision } from './median.js';
import type { EvalHistory, MetricDirection, StopDecision } from './history.js';

export * from './history.js';
export { medianStoppingDecision, type MedianRuleOptions } from './median.js';
export { ashaDecision, ashaRungAt, type AshaOptions } from './asha.js';

/** Applies a spec's earlyStopping rule; what the worker calls after each evaluation. */
export function earlyStoppingDecision(
  rule: EarlyStoppingRule,
  trialHistory: EvalHistory,
  othersHistories: readonly EvalHistory[],
  direction: MetricDirection,
): StopDecision {
  switch (rule.type) {
    case 'none':
      return { stop: false, reason: 'early stopping is off' };
    case 'median':
      return medianStoppingDecision(trialHistory, othersHistories, rule, direction);
    case 'asha':
      return ashaDecision(trialHistory, othersHistories, rule, direction);
  }
}
