/**
 * Expected trial counts for the form and for budget checks, computed from the
 * dimensions' sizes (a million-point grid is never materialised).
 */
import { configurationCount, searchEntries, seedsOf } from './search-space.js';
import type { MethodName } from './hyperparameters.js';
import type { SweepSpec } from './spec.js';

export interface EntryTrialCount {
  key: string;
  method: MethodName;
  label?: string;
  /** Distinct hyperparameter configurations this entry contributes. */
  configurations: number;
  /** configurations × seeds. */
  trials: number;
  /** Adaptive strategy: the counts are upper bounds (the search decides how many this entry gets). */
  adaptive?: boolean;
}

/** Per entry (baseline first when added). Infinity only for a grid over a continuous range, which validation rejects. */
export function countTrialsByEntry(spec: SweepSpec): EntryTrialCount[] {
  const seeds = seedsOf(spec).length;
  const strategy = spec.strategy;
  return searchEntries(spec).map((e) => {
    const size = configurationCount(e);
    // adaptive search decides per entry as it goes: at most the whole budget, at most the entry's space
    if (strategy.type === 'tpe') {
      const upTo = Math.min(size, spec.budget.maxTrials ?? 0);
      return { key: e.key, method: e.method, label: e.label, configurations: upTo, trials: upTo, adaptive: true };
    }
    // random search draws `count` distinct configurations, or all of them when there are fewer
    const configurations = strategy.type === 'grid' ? size : Math.min(size, strategy.count);
    return { key: e.key, method: e.method, label: e.label, configurations, trials: configurations * seeds };
  });
}

/** Total trials `expandSweep(spec)` will produce; for an adaptive strategy, its budget (maxTrials). */
export function countTrials(spec: SweepSpec): number {
  if (spec.strategy.type === 'tpe') return spec.budget.maxTrials ?? 0;
  return countTrialsByEntry(spec).reduce((n, e) => n + e.trials, 0);
}
