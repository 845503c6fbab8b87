/**
 * Expands a validated spec into concrete trials, ready to become queued rows.
 * Order: entries (the added baseline first, then spec.methods in order), then
 * configurations (grid order, or draw order for random), then seeds.
 */
import type { HyperValue, MethodName } from './hyperparameters.js';
import { canonical } from './param-value.js';
import { searchEntries, seedsOf, type SearchEntry } from './search-space.js';
import { countTrials } from './count.js';
import { gridConfigurations } from './strategies/grid.js';
import { randomConfigurations } from './strategies/random.js';
import type { Configuration } from './strategies/configuration.js';
import { TrialExpansionError } from './errors.js';
import type { SweepSpec } from './spec.js';

/** Training settings of one trial; exactly one of epochs / maxSteps is set. */
export interface TrialTraining {
  lr: number;
  epochs?: number;
  maxSteps?: number;
  batchSize: number;
  evalEvery: number;
  warmupRatio: number;
  weightDecay: number;
  gradClip: number;
  maxSeqLen: number;
  /** Activation checkpointing per transformer layer (engine trainTrial's gradientCheckpointing). */
  gradientCheckpointing: boolean;
  /** Decoder sequence-classification pooling (engine SequencePooling). */
  pooling: 'last' | 'mean';
}

export interface Trial {
  /** 0-based position in the sweep. */
  index: number;
  method: MethodName;
  /** The method entry's label, if any. */
  label?: string;
  /** Every method hyperparameter with defaults filled in; parameters that do not apply (reparamHidden without reparameterize) are left out. */
  hyperparameters: Record<string, HyperValue>;
  training: TrialTraining;
  seed: number;
  /** True for full fine-tuning trials (added baseline or listed). */
  isBaseline: boolean;
  /** Index into spec.methods; null for the added baseline. */
  entry: number | null;
  /** Same for all seeds of one configuration: group by it for mean ± std over seeds. */
  configKey: string;
}

/**
 * @throws TrialExpansionError when the spec was not validated and exceeds budget.maxTrials or grids a continuous range.
 * @example expandSweep(parseSweepSpec(yamlText)).length === countTrials(spec)
 */
export function expandSweep(spec: SweepSpec): Trial[] {
  const max = spec.budget.maxTrials;
  if (spec.strategy.type === 'tpe') throw new TrialExpansionError('strategy tpe is adaptive: its trials are suggested one at a time (suggestTrial), not expanded');
  if (max !== undefined) {
    const n = countTrials(spec);
    if (n > max) throw new TrialExpansionError(`the sweep expands to ${n} trials, more than budget.maxTrials ${max}`);
  }
  const seeds = seedsOf(spec);
  const trials: Trial[] = [];
  for (const entry of searchEntries(spec)) {
    const configs: Iterable<Configuration> =
      spec.strategy.type === 'grid' ? gridConfigurations(entry) : randomConfigurations(entry, spec.strategy.count, spec.strategy.seed);
    for (const c of configs) for (const seed of seeds) trials.push(trialOf(entry, c, seed, trials.length));
  }
  return trials;
}

/** One trial of `entry` at configuration `c` (expanded or suggested: one layout). */
export function trialOf(entry: SearchEntry, c: Configuration, seed: number, index: number): Trial {
  const training = c.training as unknown as TrialTraining;
  return {
    index,
    method: entry.method,
    ...(entry.label !== undefined ? { label: entry.label } : {}),
    hyperparameters: structuredClone(c.hyperparameters),
    training: { ...training },
    seed,
    isBaseline: entry.method === 'full',
    entry: entry.entry,
    configKey: canonical({ method: entry.method, hyperparameters: c.hyperparameters, training }),
  };
}
