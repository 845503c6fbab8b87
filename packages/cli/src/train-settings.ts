// `peft-lab train --set k=v`: every training parameter a sweep accepts (the training-parameter
// table of @peft-lab/sweeps, checked by its rules), the engine's own training knobs, and
// method settings (engine names: r, alpha, targetModules, bottleneck, numVirtualTokens…),
// which the engine's method schema checks.
import { describeRule, isValidValue, TRAINING_PARAMETERS } from '@peft-lab/sweeps';
import { CliValidationError } from './errors.js';

/** runTrainCommand's training knobs beyond the sweep's (packages/engine/src/train/run-train-command.ts). */
export const ENGINE_TRAINING_KEYS = ['warmupSteps', 'seed', 'maxLength', 'evalFraction', 'latencySeqLen', 'latencyRuns'] as const;

/** A sweep training parameter the engine's train command names otherwise. */
const ENGINE_NAME: Record<string, string> = { maxSeqLen: 'maxLength' };

export interface TrainSettings {
  /** What runTrainCommand's `set` gets: its own names (maxSeqLen → maxLength), method settings as given. */
  set: Record<string, string>;
  /** `--set maxSteps=N`. */
  maxSteps?: number;
  /** `--set epochs=N`: the steps are epochs × training examples / batch size. */
  epochs?: number;
}

/**
 * Sorts `--set` pairs into the engine's settings and the training length.
 * @param parse the engine's parseSetValue (`8` → 8, `true` → true, `a,b` → ['a', 'b'])
 * @throws CliValidationError with one `--set <key>: <rule> (got <value>)` line per bad pair
 */
export function trainSettings(pairs: Record<string, string>, parse: (raw: string) => unknown): TrainSettings {
  const out: TrainSettings = { set: {} };
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(pairs)) {
    const def = TRAINING_PARAMETERS.find((p) => p.name === key);
    if (!def) {
      out.set[key] = raw;
      continue;
    }
    const value = parse(raw);
    if (!isValidValue(def, value)) {
      problems.push(`--set ${key}: ${describeRule(def)} (got ${raw})`);
      continue;
    }
    if (key === 'maxSteps') out.maxSteps = value as number;
    else if (key === 'epochs') out.epochs = value as number;
    else {
      const name = ENGINE_NAME[key] ?? key;
      if (name !== key && name in pairs) problems.push(`--set ${key}: give ${key} or ${name}, not both`);
      out.set[name] = raw;
    }
  }
  if (out.maxSteps !== undefined && out.epochs !== undefined) problems.push('--set epochs: give exactly one of epochs or maxSteps (got both)');
  if (problems.length) throw new CliValidationError(problems);
  return out;
}

/** The settings that are not training knobs: the method's config (for the memory estimate). */
export function methodSettings(set: Record<string, string>): Record<string, string> {
  const training = new Set<string>([...TRAINING_PARAMETERS.map((p) => p.name), ...ENGINE_TRAINING_KEYS, 'pooling', 'gradientCheckpointing']);
  return Object.fromEntries(Object.entries(set).filter(([k]) => !training.has(k)));
}
