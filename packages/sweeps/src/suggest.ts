/**
 * The next trial of a sweep, from what the earlier ones gave: the one entry point for every
 * strategy, pure, so the queue (one suggestion per claim), ask-and-tell and tools outside
 * the repo drive the search the same way.
 *
 * - grid / random: the next trial of the expansion (`expandSweep(spec)[history.length]`).
 * - tpe: `startupTrials` trials first — one per method entry in order (so the full
 *   fine-tuning baseline always runs), then of a method at random, each with the initial
 *   design's stratified values (strategies/tpe/initial-design.ts) — and from then on the TPE
 *   sampler over the method and that method's own parameters (strategies/tpe/sampler.ts).
 *
 * Deterministic: the same spec (same `strategy.seed`) and the same history give the same trial.
 *
 * @example
 * const spec = parseSweepSpec(yaml);
 * const history: TrialOutcome[] = [];
 * for (let t = suggestTrial(spec, history); t; t = suggestTrial(spec, history)) {
 *   history.push({ trial: t, value: train(t), state: 'completed' });
 * }
 */
import { createRng, hashSeed, type Rng } from './prng.js';
import { configurationCount, searchEntries, seedsOf, type SearchEntry } from './search-space.js';
import { expandSweep, trialOf, type Trial } from './expand.js';
import { toConfiguration } from './strategies/configuration.js';
import { sampleEntryValues } from './strategies/sample.js';
import { initialDesignSuggestion } from './strategies/tpe/initial-design.js';
import { searchInputs, tpeSuggest, type Observation, type Suggestion } from './strategies/tpe/index.js';
import { sweepObjectives, type ObjectiveTask } from './objective.js';
import type { HyperValue } from './hyperparameters.js';
import type { SweepSpec, TpeStrategy } from './spec.js';

export interface TrialOutcome {
  trial: Trial;
  /** The primary objective's value; null when the trial gave none (failed, or still running). */
  value: number | null;
  /** Every objective's value in the spec's `objectives` order (multi-objective sweeps). */
  values?: (number | null)[];
  /** 'running': suggested and not finished; counted against the budget, never suggested again. */
  state: 'completed' | 'pruned' | 'failed' | 'running';
  /**
   * A pruned trial's last evaluation step (its `value` is that evaluation's): TPE ranks pruned
   * trials that got further first, as Optuna does with their last intermediate value.
   */
  step?: number;
}
export type TrialHistory = readonly TrialOutcome[];

export interface SuggestOptions {
  /** The sweep's task, when the spec names no objective: its metric's direction (perplexity is minimised). */
  task?: ObjectiveTask;
}

/** Whether the strategy suggests trials one at a time (no up-front expansion). */
export function isAdaptive(spec: SweepSpec): boolean {
  return spec.strategy.type === 'tpe';
}

/** Redraws of a configuration already in the history before the space counts as exhausted. */
const MAX_REDRAWS = 200;

/**
 * @param history every trial suggested so far, in suggestion order (index 0 first)
 * @returns the next trial (its `index` is history.length), or null when the budget is spent
 *   or every configuration of a finite space has been tried
 */
export function suggestTrial(spec: SweepSpec, history: TrialHistory, opts: SuggestOptions = {}): Trial | null {
  if (!isAdaptive(spec)) return expandSweep(spec)[history.length] ?? null;
  const strategy = spec.strategy as TpeStrategy;
  if (history.length >= (spec.budget.maxTrials ?? 0)) return null;
  const entries = searchEntries(spec);
  const index = history.length;
  const seen = new Set(history.map((h) => h.trial.configKey));
  const finite = entries.reduce((n, e) => n + configurationCount(e), 0);
  if (seen.size >= finite) return null;

  const rng = createRng(hashSeed(`${strategy.seed}:suggest:${index}`));
  const directions = sweepObjectives(spec, opts.task).map((o) => o.direction);
  const observations = history.map((h) => observationOf(entries, h));
  const inputs = searchInputs(spec, entries);
  const draw = (attempt: number): Suggestion => {
    if (index < strategy.startupTrials) {
      const entry = index < entries.length && attempt === 0 ? index : rng.int(entries.length);
      return initialDesignSuggestion(entries, observations, entry, inputs, rng);
    }
    // a repeat of a tried configuration is drawn again at random: TPE would propose it again
    if (attempt > 0) return randomSuggestion(entries, rng);
    return tpeSuggest(entries, observations, rng, { directions, candidates: strategy.candidates, inputs });
  };
  for (let attempt = 0; attempt < MAX_REDRAWS; attempt++) {
    const s = draw(attempt);
    const trial = trialOf(entries[s.entry], toConfiguration(entries[s.entry], s.values), seedsOf(spec)[0], index);
    if (!seen.has(trial.configKey)) return trial;
  }
  return null;
}

function randomSuggestion(entries: readonly SearchEntry[], rng: Rng): Suggestion {
  const entry = rng.int(entries.length);
  return { entry, values: sampleEntryValues(entries[entry], rng) };
}

/** A history row as the sampler reads it: entry index, flat values of the dimensions that applied, objectives. */
function observationOf(entries: readonly SearchEntry[], h: TrialOutcome): Observation {
  const entry = Math.max(0, entries.findIndex((e) => e.entry === h.trial.entry && e.method === h.trial.method));
  const flat: Record<string, unknown> = { ...h.trial.training, ...h.trial.hyperparameters };
  const values: Record<string, HyperValue> = {};
  for (const d of entries[entry].dims) if (flat[d.def.name] !== undefined) values[d.def.name] = flat[d.def.name] as HyperValue;
  return { entry, values, objectives: h.values ?? [h.value], state: h.state, ...(h.step === undefined ? {} : { step: h.step }) };
}
