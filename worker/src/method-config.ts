// Sweep hyperparameter names (packages/sweeps) → the engine's method configs
// (packages/engine/src/peft/*/config.ts). The two name things for their audiences (the spec
// for researchers, the engine after peft); each method's declaration
// (peft/<method>/declaration.ts, read through the TF-free `@peft-lab/engine/methods`) says how a
// spec name and value map to the engine's, and this file applies that to a trial.
import { METHOD_NAMES, SweepValueError, configFromSweep, findHyperparameter, isMethodName, methodDeclaration } from '@peft-lab/engine/methods';
import { TRAINING_PARAMETERS, TRIAL_BOOKKEEPING_KEYS, type TrialTraining } from '@peft-lab/sweeps';
import type { PeftMethodName } from './engine-types.js';
import { TrialSetupError } from './errors.js';

type Hp = Record<string, unknown>;

/** Training parameters of a trial: the sweep spec's own type (one definition). */
export type TrialTrainingParams = TrialTraining;

/** Every registered method. */
export const METHODS: readonly PeftMethodName[] = METHOD_NAMES;

export function asMethod(method: string): PeftMethodName {
  if (!isMethodName(method)) throw new TrialSetupError('method', method, `expected one of ${METHODS.join(', ')}`);
  return method;
}

/**
 * The engine config for one trial's method hyperparameters (`configFromSweep` over the method's
 * declaration), plus the trial's seed for methods that take one (full fine-tuning does not).
 * @param encode tokenizes prompt-tuning's initText (init `text` → initTokenIds).
 * @example methodConfig('prefix', { prefixLength: 8, reparameterize: true, reparamHidden: 64 }, 1, enc)
 *   // { numVirtualTokens: 8, prefixProjection: true, encoderHiddenSize: 64, seed: 1 }
 */
export function methodConfig(method: PeftMethodName, hp: Hp, seed: number, encode: (text: string) => number[]): Hp {
  const d = methodDeclaration(method);
  let out: Hp;
  try {
    out = configFromSweep(d, hp, encode);
  } catch (err) {
    if (err instanceof SweepValueError) throw new TrialSetupError(`hyperparameters.${err.field}`, err.value, err.reason);
    throw err;
  }
  if (findHyperparameter(d, 'seed')) out.seed = seed;
  return out;
}

/** A stored value of the parameter's kind, else undefined (the default then applies). */
function storedValue(def: (typeof TRAINING_PARAMETERS)[number], v: unknown): unknown {
  if (def.kind === 'enum') return typeof v === 'string' && def.options?.includes(v) ? v : undefined;
  if (def.kind === 'bool') return typeof v === 'boolean' ? v : undefined;
  return typeof v === 'number' ? v : undefined;
}

/**
 * A trial's training parameters: `hyperparameters.training` (how newTrialsFromSpec stores
 * them), else the sweep's own expansion at this trial's index, else top-level keys.
 */
export function trainingParams(hp: Hp, fromSpec: Partial<TrialTrainingParams> | undefined): TrialTrainingParams {
  const nested = hp.training && typeof hp.training === 'object' ? (hp.training as Hp) : undefined;
  const src: Hp = nested ?? (fromSpec as Hp | undefined) ?? hp;
  // Defaults from the spec's own table, so a trial queued before a parameter existed (pooling)
  // trains as it did then.
  const out: Hp = {};
  for (const def of TRAINING_PARAMETERS) {
    const v = storedValue(def, src[def.name]) ?? def.default;
    if (v !== undefined) out[def.name] = v;
  }
  const t = out as unknown as TrialTrainingParams;
  if ((t.maxSteps === undefined) === (t.epochs === undefined)) {
    throw new TrialSetupError('training', { maxSteps: t.maxSteps, epochs: t.epochs }, 'give exactly one of maxSteps and epochs');
  }
  return t;
}

/** The method hyperparameters alone (no training block, no bookkeeping keys). */
export function methodHyperparameters(hp: Hp): Hp {
  return Object.fromEntries(Object.entries(hp).filter(([k]) => !TRIAL_BOOKKEEPING_KEYS.includes(k)));
}
