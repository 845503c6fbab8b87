/**
 * LoRA (Hu et al. 2021) as peft implements it: y = x·W + b + s·(drop(x)·Aᵀ)·Bᵀ,
 * A [r, in] kaiming-uniform(a=√5), B [out, r] zero (the model starts unchanged),
 * s = alpha/r (alpha/√r with rsLoRA). With `useDora` each module also learns a magnitude
 * vector m [out] (DoRA, `dora.ts`). State is per module, keyed by the
 * Hugging Face module name; variables are keyed by peft's saved names.
 * Create, forward (the `linear` hook), merge and unmerge sit together here.
 */
import * as tf from '@tensorflow/tfjs';
import { PeftConfigError, WeightShapeError } from '../../errors.js';
import type { HostTensor } from '../../hf/safetensors.js';
import { dropout } from '../../models/shared/ops.js';
import { loraAdd } from './lora-add.js';
import { doraLinear, doraMergedWeight, doraWeightNorm } from './dora.js';
import type { PeftAttachment, TransformerModel } from '../../types.js';
import { createSavedHeads, defaultModulesToSave, LORA_SAVED_PREFIX, PEFT_TASK_TYPES } from '../modules-to-save.js';
import { MergedWeights } from '../merged-weights.js';
import { adapterDirBytes, disposeModuleAttachment, moduleHooks, withHeadTensors, type ModuleAttachmentParts } from '../module-attachment.js';
import { DEFAULT_TARGET_MODULES, FUSED_TARGET_HINTS, LoraConfigSchema, type LoraConfig, type LoraConfigInput } from './config.js';

export const PEFT_PREFIX = LORA_SAVED_PREFIX;

export interface LoraModule {
  name: string;
  inFeatures: number;
  outFeatures: number;
  /** [r, in] */
  loraA: tf.Variable;
  /** [out, r] */
  loraB: tf.Variable;
  /** DoRA's magnitude m [out] (peft's `lora_magnitude_vector`); null without `useDora`. */
  magnitude: tf.Variable | null;
}

export interface LoraAttachment extends PeftAttachment {
  readonly method: 'lora';
  readonly config: LoraConfig;
  readonly model: TransformerModel;
  readonly modules: Map<string, LoraModule>;
  readonly scaling: number;
  /** Head linears trained and saved as modules_to_save (copies; see `peft/modules-to-save.ts`). */
  readonly savedModules: string[];
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
      const fused = FUSED_TARGET_HINTS[model.config.family]?.[t.slice(t.lastIndexOf('.') + 1)];
      const hint = fused ? `; ${model.config.family} keeps ${t} inside the fused ${fused}` : '';
      throw new PeftConfigError(`targetModules: ${JSON.stringify(t)} matches no linear module of this ${model.config.family} model (supported: ${supported}${hint})`);
    }
  }
  return linears.filter((m) => targets.some((t) => m.name === t || m.name.endsWith(`.${t}`)));
}

/** Analytical trainable count of the LoRA matrices: Σ r·(in + out) over the targeted modules, + Σ out (the magnitudes) with DoRA. */
export function loraParamCount(model: TransformerModel, r: number, targets: string[], useDora = false): number {
  return matchTargetModules(model, targets).reduce((n, m) => n + r * (m.inFeatures + m.outFeatures) + (useDora ? m.outFeatures : 0), 0);
}


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
  /** modules_to_save as configured (peft writes this list into adapter_config.json); the heads it selects train as copies. */
  const modulesToSave = config.modulesToSave ?? defaultModulesToSave(model.head);
  let saved: ReturnType<typeof createSavedHeads> | null = null;
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
      const loraA = variable(keyA, a);
      const loraB = variable(keyB, b);
      let magnitude: tf.Variable | null = null;
      if (config.useDora) {
        // peft's DoraLinearLayer.update_layer: m = ‖W + s·BA‖ per output unit (= ‖W‖ while B is zero).
        const keyM = `${PEFT_PREFIX}${m.name}.lora_magnitude_vector`;
        const mag = fromInitial(keyM, [m.outFeatures]) ?? tf.tidy(() => doraWeightNorm(model.weights.get(`${m.name}.weight`) as tf.Tensor2D, loraA as tf.Tensor2D, loraB as tf.Tensor2D, scaling));
        magnitude = variable(keyM, mag);
      }
      modules.set(m.name, { name: m.name, inFeatures: m.inFeatures, outFeatures: m.outFeatures, loraA, loraB, magnitude });
    });
    saved = createSavedHeads(model, modulesToSave, PEFT_PREFIX, initial);
    for (const [k, v] of saved.trainable) trainable.set(k, v);
  } catch (e) {
    for (const v of trainable.values()) v.dispose();
    throw e;
  }

  const heads = saved!;
  const delta = (m: LoraModule) => tf.mul(tf.matMul(m.loraA, m.loraB, true, true), scaling);
  /** The merged weight of one module: W + ΔW, or DoRA's (m / ‖W + ΔW‖) ⊙ (W + ΔW). */
  const mergedWeight = (m: LoraModule) => {
    const w = baseWeight(m) as tf.Tensor2D;
    return m.magnitude ? doraMergedWeight(w, m.loraA as tf.Tensor2D, m.loraB as tf.Tensor2D, m.magnitude as tf.Tensor1D, scaling) : tf.add(w, delta(m));
  };
  const baseWeight = (m: LoraModule) => model.weights.get(`${m.name}.weight`)!;
  const mergedWeights = new MergedWeights(model);
  const parts: ModuleAttachmentParts<LoraModule> = {
    model, modules, heads, trainable, mergedWeights,
    variables: (m) => (m.magnitude ? [m.loraA, m.loraB, m.magnitude] : [m.loraA, m.loraB]),
    linear(m, x, y, training) {
      const x2 = (x.rank === 2 ? x : x.reshape([-1, x.shape[x.rank - 1]!])) as tf.Tensor2D;
      const xin = training && config.dropout > 0 ? dropout(x2, config.dropout) : x2;
      const y2 = (y.rank === 2 ? y : y.reshape([-1, y.shape[y.rank - 1]!])) as tf.Tensor2D;
      const out = m.magnitude
        ? doraLinear({
            x: x2, y: y2, bias: model.weights.get(`${m.name}.bias`) as tf.Tensor1D | undefined, weight: baseWeight(m) as tf.Tensor2D,
            loraA: m.loraA as tf.Tensor2D, loraB: m.loraB as tf.Tensor2D, magnitude: m.magnitude as tf.Tensor1D, scaling, dropped: xin === x2 ? undefined : xin,
          })
        : loraAdd(xin, y2, m.loraA as tf.Tensor2D, m.loraB as tf.Tensor2D, scaling);
      return y.rank === 2 ? out : out.reshape(y.shape);
    },
  };

  const attachment: LoraAttachment = {
    method: 'lora',
    adapterName,
    config,
    model,
    modules,
    scaling,
    savedModules: heads.modules,
    get merged() {
      return mergedWeights.active;
    },
    hooks: moduleHooks(parts),
    trainable,
    storedBytes: () => adapterDirBytes(attachment.adapterTensors(), attachment.adapterConfigJson()),
    /**
     * Folds s·(B·A)ᵀ into each base weight ([in, out] layout; DoRA: rescaled per output column by
     * m / ‖W + ΔW‖, the norm from the unmerged base as peft takes it); refuses non-finite results like
     * peft's safe_merge. Swapped in by MergedWeights (`peft/merged-weights.ts`): unmerge is exact
     * and a shared base is never written.
     */
    merge() {
      if (mergedWeights.active) return;
      const targets = [...modules.values()];
      const sums = tf.tidy(() => targets.map((m) => mergedWeight(m)));
      mergedWeights.swapIn(targets.map((m, i) => [`${m.name}.weight`, sums[i]]), (key) => `merge: NaN/Inf in the merged weight of ${key.replace(/\.weight$/, '')}`);
    },
    unmerge() {
      mergedWeights.restore();
    },
    adapterTensors() {
      const out = new Map<string, HostTensor>();
      for (const m of modules.values()) {
        out.set(`${PEFT_PREFIX}${m.name}.lora_A.weight`, { shape: m.loraA.shape, data: m.loraA.dataSync() as Float32Array });
        out.set(`${PEFT_PREFIX}${m.name}.lora_B.weight`, { shape: m.loraB.shape, data: m.loraB.dataSync() as Float32Array });
        if (m.magnitude) out.set(`${PEFT_PREFIX}${m.name}.lora_magnitude_vector`, { shape: m.magnitude.shape, data: m.magnitude.dataSync() as Float32Array });
      }
      return withHeadTensors(out, heads);
    },
    adapterConfigJson() {
      return {
        peft_type: 'LORA',
        task_type: PEFT_TASK_TYPES[model.head],
        base_model_name_or_path: config.baseModelNameOrPath,
        r,
        lora_alpha: config.alpha,
        lora_dropout: config.dropout,
        target_modules: config.targetModules,
        fan_in_fan_out: config.fanInFanOut,
        use_rslora: config.useRslora,
        bias: 'none',
        // peft records the configured names (SEQ_CLS: classifier, score) and matches them again at load.
        modules_to_save: heads.modules.length > 0 ? [...modulesToSave] : null,
        init_lora_weights: true,
        inference_mode: true,
        use_dora: config.useDora,
        layers_to_transform: null,
        layers_pattern: null,
        rank_pattern: {},
        alpha_pattern: {},
        revision: null,
      };
    },
    dispose() {
      disposeModuleAttachment(parts, attachment.hooks);
    },
  };
  return attachment;
}
