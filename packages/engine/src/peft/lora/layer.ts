/**
 * LoRA (Hu et al. 2021) as peft implements it: y = x·W + b + s·(drop(x)·Aᵀ)·Bᵀ,
 * A [r, in] kaiming-uniform(a=√5), B [out, r] zero (the model starts unchanged),
 * s = alpha/r (alpha/√r with rsLoRA). State is per module, keyed by the
 * Hugging Face module name; variables are keyed by peft's saved names.
 * Create, forward (the `linear` hook), merge and unmerge sit together here.
 */
import * as tf from '@tensorflow/tfjs';
import { PeftConfigError, WeightShapeError } from '../../errors.js';
import { safetensorsFileSize, type HostTensor } from '../../hf/safetensors.js';
import { dense, dropout } from '../../models/shared/ops.js';
import { loraAdd } from './lora-add.js';
import type { HeadKind, PeftAttachment, TransformerModel } from '../../types.js';
import { DEFAULT_TARGET_MODULES, LoraConfigSchema, type LoraConfig, type LoraConfigInput } from './config.js';

export const PEFT_PREFIX = 'base_model.model.';
/** Head modules peft trains and saves beside the adapter for classification (modules_to_save). */
const HEAD_MODULES = ['classifier', 'score'];

export interface LoraModule {
  name: string;
  inFeatures: number;
  outFeatures: number;
  /** [r, in] */
  loraA: tf.Variable;
  /** [out, r] */
  loraB: tf.Variable;
}

/** A trainable copy of a head linear (peft's ModulesToSaveWrapper); weight held [in, out]. */
interface SavedModule {
  name: string;
  weight: tf.Variable;
  bias: tf.Variable | null;
}

export interface LoraAttachment extends PeftAttachment {
  readonly method: 'lora';
  readonly config: LoraConfig;
  readonly model: TransformerModel;
  readonly modules: Map<string, LoraModule>;
  readonly scaling: number;
  readonly merged: boolean;
  merge(): void;
  unmerge(): void;
  /** Tensors for adapter_model.safetensors, peft key names and layouts. */
  adapterTensors(): Map<string, HostTensor>;
  /** adapter_config.json contents Python peft loads unchanged. */
  adapterConfigJson(): Record<string, unknown>;
}

/** Linear modules matched by the targets, like peft: equal, or ending in `.target`. */
export function matchTargetModules(model: TransformerModel, targets: string[]) {
  const linears = model.linearModules();
  for (const t of targets) {
    if (!linears.some((m) => m.name === t || m.name.endsWith(`.${t}`))) {
      const supported = [...new Set(linears.map((m) => m.shortName))].join(', ');
      throw new PeftConfigError(`targetModules: ${JSON.stringify(t)} matches no linear module of this ${model.config.family} model (supported: ${supported})`);
    }
  }
  return linears.filter((m) => targets.some((t) => m.name === t || m.name.endsWith(`.${t}`)));
}

/** Analytical trainable count of the LoRA matrices: Σ r·(in + out) over the targeted modules. */
export function loraParamCount(model: TransformerModel, r: number, targets: string[]): number {
  return matchTargetModules(model, targets).reduce((n, m) => n + r * (m.inFeatures + m.outFeatures), 0);
}

function headModulesToSave(model: TransformerModel, config: LoraConfig): string[] {
  const names = config.modulesToSave ?? (model.head === 'causal-lm' ? [] : HEAD_MODULES);
  return names.filter((n) => model.weights.has(`${n}.weight`));
}

const TASK_TYPES: Record<HeadKind, string> = {
  'causal-lm': 'CAUSAL_LM',
  'sequence-classification': 'SEQ_CLS',
  'token-classification': 'TOKEN_CLS',
};

/**
 * Attaches LoRA to `model`. `initial` (peft-named host tensors, peft layouts)
 * replaces the random init — that is how `loadLoraAdapter` imports an adapter.
 * @example const lora = createLoraAttachment(model, { r: 4, alpha: 8, targetModules: ['c_attn'] });
 */
export function createLoraAttachment(
  model: TransformerModel,
  input: LoraConfigInput = {},
  adapterName = 'default',
  initial?: Map<string, HostTensor>,
): LoraAttachment {
  const parsed = LoraConfigSchema.parse(input);
  const config: LoraConfig = {
    ...parsed,
    targetModules: parsed.targetModules ?? DEFAULT_TARGET_MODULES[model.config.family],
    // As peft: Conv1D (GPT-2) needs fan_in_fan_out, nn.Linear must not have it.
    fanInFanOut: model.config.family === 'gpt2',
  };
  const { r } = config;
  const scaling = config.useRslora ? config.alpha / Math.sqrt(r) : config.alpha / r;
  const targets = matchTargetModules(model, config.targetModules!);
  const modules = new Map<string, LoraModule>();
  const saved = new Map<string, SavedModule>();
  const trainable = new Map<string, tf.Variable>();
  const fromInitial = (key: string, shape: number[], transpose = false): tf.Tensor | null => {
    const t = initial?.get(key);
    if (!t) return null;
    if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i])) throw new WeightShapeError(key, shape, t.shape);
    const value = tf.tensor(t.data, t.shape);
    if (!transpose) return value;
    const out = value.transpose();
    value.dispose();
    return out;
  };
  const variable = (key: string, value: tf.Tensor) => {
    const v = tf.variable(value, true);
    value.dispose();
    trainable.set(key, v);
    return v;
  };
  try {
    targets.forEach((m, i) => {
      const keyA = `${PEFT_PREFIX}${m.name}.lora_A.weight`;
      const keyB = `${PEFT_PREFIX}${m.name}.lora_B.weight`;
      // kaiming_uniform_(a=√5) on [r, in]: bound = gain·√(3/fan_in) with gain = √(2/(1+5)) → 1/√in.
      const bound = 1 / Math.sqrt(m.inFeatures);
      const a = fromInitial(keyA, [r, m.inFeatures]) ?? tf.randomUniform([r, m.inFeatures], -bound, bound, 'float32', config.seed * 7919 + i);
      const b = fromInitial(keyB, [m.outFeatures, r]) ?? tf.zeros([m.outFeatures, r]);
      modules.set(m.name, { name: m.name, inFeatures: m.inFeatures, outFeatures: m.outFeatures, loraA: variable(keyA, a), loraB: variable(keyB, b) });
    });
    for (const name of headModulesToSave(model, config)) {
      const base = model.weights.get(`${name}.weight`)!;
      const baseBias = model.weights.get(`${name}.bias`) ?? null;
      const w = fromInitial(`${PEFT_PREFIX}${name}.weight`, [base.shape[1]!, base.shape[0]!], true) ?? base.clone();
      const bias = baseBias ? (fromInitial(`${PEFT_PREFIX}${name}.bias`, baseBias.shape) ?? baseBias.clone()) : null;
      saved.set(name, {
        name,
        weight: variable(`${PEFT_PREFIX}${name}.weight`, w),
        bias: bias ? variable(`${PEFT_PREFIX}${name}.bias`, bias) : null,
      });
    }
  } catch (e) {
    for (const v of trainable.values()) v.dispose();
    throw e;
  }

  let merged = false;
  const delta = (m: LoraModule) => tf.mul(tf.matMul(m.loraA, m.loraB, true, true), scaling);
  const baseWeight = (m: LoraModule) => model.weights.get(`${m.name}.weight`)!;
  /** The base weights merge swapped out, by weight name; unmerge puts them back. */
  const originals = new Map<string, tf.Variable>();

  const attachment: LoraAttachment = {
    method: 'lora',
    adapterName,
    config,
    model,
    modules,
    scaling,
    get merged() {
      return merged;
    },
    hooks: {
      // Merged LoRA leaves the base linears' outputs alone (the delta is in the weights); saved heads always replace theirs.
      linearTouches: (name) => saved.has(name) || (!merged && modules.has(name)),
      layerVariables: (_layer, prefix) => [...modules.values()].filter((m) => m.name.startsWith(prefix)).flatMap((m) => [m.loraA, m.loraB]),
      linear(name, x, y, training) {
        const head = saved.get(name);
        const x2 = (x.rank === 2 ? x : x.reshape([-1, x.shape[x.rank - 1]!])) as tf.Tensor2D;
        if (head) return dense(x2, head.weight as tf.Tensor2D, (head.bias ?? undefined) as tf.Tensor1D | undefined).reshape(y.shape);
        const m = modules.get(name);
        if (!m || merged) return y;
        const xin = training && config.dropout > 0 ? dropout(x2, config.dropout) : x2;
        const y2 = (y.rank === 2 ? y : y.reshape([-1, y.shape[y.rank - 1]!])) as tf.Tensor2D;
        const out = loraAdd(xin, y2, m.loraA as tf.Tensor2D, m.loraB as tf.Tensor2D, scaling);
        return y.rank === 2 ? out : out.reshape(y.shape);
      },
    },
    trainable,
    storedBytes() {
      const shapes = new Map([...attachment.adapterTensors()].map(([k, t]) => [k, t.shape]));
      return safetensorsFileSize(shapes) + new TextEncoder().encode(JSON.stringify(attachment.adapterConfigJson(), null, 2)).length;
    },
    /**
     * Folds s·(B·A)ᵀ into each base weight ([in, out] layout); refuses non-finite results like
     * peft's safe_merge. The merged weights are new variables swapped into the model's map, so
     * unmerge gives back the original ones bit for bit and a base shared with other models
     * (`hf/frozen-weights.ts`) is never written.
     */
    merge() {
      if (merged) return;
      const targets = [...modules.values()];
      const sums = tf.tidy(() => targets.map((m) => tf.add(baseWeight(m), delta(m))));
      const bad = targets.find((_, i) => !tf.tidy(() => tf.all(tf.isFinite(sums[i])).dataSync()[0]));
      if (bad) {
        tf.dispose(sums);
        throw new PeftConfigError(`merge: NaN/Inf in the merged weight of ${bad.name}`);
      }
      targets.forEach((m, i) => {
        const key = `${m.name}.weight`;
        originals.set(key, model.weights.get(key)!);
        model.weights.set(key, tf.variable(sums[i], false));
        sums[i].dispose();
      });
      merged = true;
    },
    unmerge() {
      if (!merged) return;
      for (const [key, original] of originals) {
        model.weights.get(key)!.dispose();
        model.weights.set(key, original);
      }
      originals.clear();
      merged = false;
    },
    adapterTensors() {
      const out = new Map<string, HostTensor>();
      for (const m of modules.values()) {
        out.set(`${PEFT_PREFIX}${m.name}.lora_A.weight`, { shape: m.loraA.shape, data: m.loraA.dataSync() as Float32Array });
        out.set(`${PEFT_PREFIX}${m.name}.lora_B.weight`, { shape: m.loraB.shape, data: m.loraB.dataSync() as Float32Array });
      }
      for (const s of saved.values()) {
        const wt = tf.transpose(s.weight);
        out.set(`${PEFT_PREFIX}${s.name}.weight`, { shape: wt.shape, data: wt.dataSync() as Float32Array });
        wt.dispose();
        if (s.bias) out.set(`${PEFT_PREFIX}${s.name}.bias`, { shape: s.bias.shape, data: s.bias.dataSync() as Float32Array });
      }
      return out;
    },
    adapterConfigJson() {
      return {
        peft_type: 'LORA',
        task_type: TASK_TYPES[model.head],
        base_model_name_or_path: config.baseModelNameOrPath,
        r,
        lora_alpha: config.alpha,
        lora_dropout: config.dropout,
        target_modules: config.targetModules,
        fan_in_fan_out: config.fanInFanOut,
        use_rslora: config.useRslora,
        bias: 'none',
        modules_to_save: saved.size > 0 ? [...saved.keys()] : null,
        init_lora_weights: true,
        inference_mode: true,
        use_dora: false,
        layers_to_transform: null,
        layers_pattern: null,
        rank_pattern: {},
        alpha_pattern: {},
        revision: null,
      };
    },
    dispose() {
      if (merged) attachment.unmerge();
      if (model.hooks === attachment.hooks) model.hooks = null;
      for (const v of trainable.values()) v.dispose();
      trainable.clear();
      modules.clear();
      saved.clear();
    },
  };
  return attachment;
}
