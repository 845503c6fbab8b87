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
}

/** Per entry (baseline first when added). Infinity only for a grid over a continuous range, which validation rejects. */
export function countTrialsByEntry(spec: SweepSpec): EntryTrialCount[] {
  const seeds = seedsOf(spec).length;
  return searchEntries(spec).map((e) => {
    const size = configurationCount(e);
    // random search draws `count` distinct configurations, or all of them when there are fewer
    const configurations = spec.strategy.type === 'grid' ? size : Math.min(size, spec.strategy.count);
    return { key: e.key, method: e.method, label: e.label, configurations, trials: configurations * seeds };
  });
}

/** Total trials `expandSweep(spec)` will produce. */
export function countTrials(spec: SweepSpec): number {
  return countTrialsByEntry(spec).reduce((n, e) => n + e.trials, 0);
}
