// Sweep hyperparameter names (packages/sweeps) → the engine's method configs
// (packages/engine/src/peft/*/config.ts). The two packages name things for their
// audiences (the spec for researchers, the engine after peft), so the worker,
// which knows both, translates here and nowhere else.
import { TRAINING_PARAMETERS, type TrialTraining } from '@peft-lab/sweeps';
import type { PeftMethodName } from './engine-types.js';
import { TrialSetupError } from './errors.js';

type Hp = Record<string, unknown>;

/** Training parameters of a trial: the sweep spec's own type (one definition). */
export type TrialTrainingParams = TrialTraining;

export const METHODS: readonly PeftMethodName[] = ['full', 'lora', 'adapter', 'prefix', 'prompt'];

export function asMethod(method: string): PeftMethodName {
  if (!(METHODS as readonly string[]).includes(method)) throw new TrialSetupError('method', method, `expected one of ${METHODS.join(', ')}`);
  return method as PeftMethodName;
}

const pick = (hp: Hp, from: string, to: string, out: Hp) => {
  if (hp[from] !== undefined && hp[from] !== null) out[to] = hp[from];
};

/**
 * The engine config for one trial's method hyperparameters.
 * @param encode tokenizes prompt-tuning's initText (init `text` → initTokenIds).
 * @example methodConfig('prefix', { prefixLength: 8, reparameterize: true, reparamHidden: 64 }, 1, enc)
 *   // { numVirtualTokens: 8, prefixProjection: true, encoderHiddenSize: 64, seed: 1 }
 */
export function methodConfig(method: PeftMethodName, hp: Hp, seed: number, encode: (text: string) => number[]): Hp {
  const out: Hp = {};
  switch (method) {
    case 'full':
      return {};
    case 'lora':
      for (const k of ['r', 'alpha', 'dropout', 'targetModules', 'useRslora']) pick(hp, k, k, out);
      break;
    case 'adapter':
      // The engine refuses both sizes at once; an explicit bottleneck wins over the default factor.
      if (hp.bottleneck !== undefined && hp.bottleneck !== null) out.bottleneck = hp.bottleneck;
      else pick(hp, 'reductionFactor', 'reductionFactor', out);
      pick(hp, 'placement', 'placement', out);
      pick(hp, 'activation', 'nonLinearity', out);
      break;
    case 'prefix':
      pick(hp, 'prefixLength', 'numVirtualTokens', out);
      pick(hp, 'reparameterize', 'prefixProjection', out);
      if (hp.reparameterize !== false) pick(hp, 'reparamHidden', 'encoderHiddenSize', out);
      break;
    case 'prompt': {
      pick(hp, 'promptLength', 'numVirtualTokens', out);
      const init = hp.init ?? 'random';
      if (init === 'vocab') out.init = 'sampled-vocab';
      else if (init === 'text') {
        if (typeof hp.initText !== 'string' || hp.initText.length === 0) throw new TrialSetupError('hyperparameters.initText', hp.initText, 'required when init is text');
        out.init = 'text';
        out.initTokenIds = encode(hp.initText);
      } else out.init = init;
      break;
    }
  }
  out.seed = seed;
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
  const { training: _t, label: _l, configKey: _c, isBaseline: _b, ...rest } = hp;
  return rest;
}
