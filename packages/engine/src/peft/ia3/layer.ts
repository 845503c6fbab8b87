/**
 * (IA)³ (Liu et al. 2022, "Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than
 * In-Context Learning") as peft 0.21 implements it (`peft/tuners/ia3/layer.py`): each targeted
 * linear gets one learned vector `l`, initialised to ones (the model starts unchanged):
 * - a feed-forward module scales its input: y = (x ⊙ l)·W + b, l [1, in] (the bias is not scaled);
 * - any other target scales its output: y = (x·W + b) ⊙ l, l [out, 1] (the bias is scaled too).
 * Variables are keyed and shaped as peft saves them (`base_model.model.<module>.ia3_l`, no adapter
 * name in the key). Create, forward (the `linear` hook), merge and unmerge sit together here.
 */
import * as tf from '@tensorflow/tfjs';
import { PeftConfigError, WeightShapeError } from '../../errors.js';
import type { HostTensor } from '../../hf/safetensors.js';
import { dense } from '../../models/shared/ops.js';
import type { SavableAttachment } from '../save-attachment.js';
import type { TransformerModel } from '../../types.js';
import { matchTargetModules } from '../lora/layer.js';
import { createSavedHeads, defaultModulesToSave, LORA_SAVED_PREFIX, PEFT_TASK_TYPES } from '../modules-to-save.js';
import { MergedWeights } from '../merged-weights.js';
import { adapterDirBytes, disposeModuleAttachment, moduleHooks, withHeadTensors, type ModuleAttachmentParts } from '../module-attachment.js';
import { DEFAULT_IA3_FEEDFORWARD_MODULES, DEFAULT_IA3_TARGET_MODULES, Ia3ConfigSchema, type Ia3Config, type Ia3ConfigInput } from './config.js';

/** (IA)³ nests the base under `base_model.model.` as LoRA does (a tuner model). */
export const IA3_PREFIX = LORA_SAVED_PREFIX;

export interface Ia3Module {
  name: string;
  inFeatures: number;
  outFeatures: number;
  /** Scales the input (feed-forward) or the output. */
  feedforward: boolean;
  /** peft's `ia3_l`: [1, in] when feed-forward, else [out, 1]. */
  vector: tf.Variable;
}

export interface Ia3Attachment extends SavableAttachment {
  readonly method: 'ia3';
  readonly config: Ia3Config;
  readonly model: TransformerModel;
  readonly modules: Map<string, Ia3Module>;
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

/** peft's feed-forward test: the module path ends with one of the names (a plain string suffix, no dot needed). */
export function isFeedforwardModule(moduleName: string, feedforwardModules: readonly string[]): boolean {
  return feedforwardModules.some((f) => moduleName.endsWith(f));
}

/** The targets and feed-forward names `config` resolves to on `model` (family defaults where absent), checked as peft checks them. */
export function resolveIa3Modules(model: Pick<TransformerModel, 'config' | 'linearModules'>, config: Pick<Ia3Config, 'targetModules' | 'feedforwardModules'>) {
  const targetModules = config.targetModules ?? DEFAULT_IA3_TARGET_MODULES[model.config.family];
  const feedforwardModules = config.feedforwardModules ?? DEFAULT_IA3_FEEDFORWARD_MODULES[model.config.family];
  // peft's IA3Config.__post_init__: feedforward_modules must be a subset of target_modules (checked when both are lists).
  if (config.targetModules && config.feedforwardModules) {
    const stray = config.feedforwardModules.find((f) => !config.targetModules!.includes(f));
    if (stray) throw new PeftConfigError(`feedforwardModules: ${JSON.stringify(stray)} is not in targetModules (${config.targetModules.join(', ')}); feed-forward modules must be a subset of the targets`);
  }
  const targets = matchTargetModules(model as TransformerModel, targetModules).map((m) => ({ ...m, feedforward: isFeedforwardModule(m.name, feedforwardModules) }));
  return { targetModules, feedforwardModules, targets };
}

/** Analytical trainable count of the (IA)³ vectors: Σ in over feed-forward targets + Σ out over the others (plus any saved heads: `modulesToSaveParamCount`). */
export function ia3ParamCount(model: Pick<TransformerModel, 'config' | 'linearModules'>, config: Pick<Ia3Config, 'targetModules' | 'feedforwardModules'> = {}): number {
  return resolveIa3Modules(model, config).targets.reduce((n, m) => n + (m.feedforward ? m.inFeatures : m.outFeatures), 0);
}

/**
 * Attaches (IA)³ to `model`. `initial` (peft-named host tensors, peft layouts) replaces the ones
 * init — how `loadIa3Adapter` imports an adapter.
 * @example const ia3 = createIa3Attachment(model, { targetModules: ['k_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] });
 */
export function createIa3Attachment(model: TransformerModel, input: Ia3ConfigInput = {}, adapterName = 'default', initial?: Map<string, HostTensor>): Ia3Attachment {
  const parsed = Ia3ConfigSchema.parse(input);
  const { targetModules, feedforwardModules, targets } = resolveIa3Modules(model, parsed);
  const config: Ia3Config = { ...parsed, targetModules, feedforwardModules };
  const modulesToSave = config.modulesToSave ?? defaultModulesToSave(model.head);
  const modules = new Map<string, Ia3Module>();
  const trainable = new Map<string, tf.Variable>();
  let heads: ReturnType<typeof createSavedHeads>;
  try {
    for (const m of targets) {
      const key = `${IA3_PREFIX}${m.name}.ia3_l`;
      const shape = m.feedforward ? [1, m.inFeatures] : [m.outFeatures, 1];
      const t = initial?.get(key);
      if (t && (t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1])) throw new WeightShapeError(key, shape, t.shape);
      const vector = tf.variable(t ? tf.tensor(t.data, shape) : tf.ones(shape), true);
      trainable.set(key, vector);
      modules.set(m.name, { name: m.name, inFeatures: m.inFeatures, outFeatures: m.outFeatures, feedforward: m.feedforward, vector });
    }
    heads = createSavedHeads(model, modulesToSave, IA3_PREFIX, initial);
  } catch (e) {
    for (const v of trainable.values()) v.dispose();
    throw e;
  }
  for (const [k, v] of heads.trainable) trainable.set(k, v);

  const mergedWeights = new MergedWeights(model);
  const as2d = (t: tf.Tensor) => (t.rank === 2 ? t : t.reshape([-1, t.shape[t.rank - 1]!])) as tf.Tensor2D;
  const parts: ModuleAttachmentParts<Ia3Module> = {
    model, modules, heads, trainable, mergedWeights,
    variables: (m) => [m.vector],
    linear(m, x, y) {
      if (!m.feedforward) return tf.mul(y, m.vector.reshape([-1]));
      // peft: base_layer(x * l) — the scaled input through the frozen weight, bias unscaled.
      const w = model.weights.get(`${m.name}.weight`) as tf.Tensor2D;
      const b = model.weights.get(`${m.name}.bias`) as tf.Tensor1D | undefined;
      const out = dense(tf.mul(as2d(x), m.vector) as tf.Tensor2D, w, b);
      return y.rank === 2 ? out : out.reshape(y.shape);
    },
  };

  const attachment: Ia3Attachment = {
    method: 'ia3',
    adapterName,
    config,
    model,
    modules,
    savedModules: heads.modules,
    get merged() {
      return mergedWeights.active;
    },
    hooks: moduleHooks(parts),
    trainable,
    storedBytes: () => adapterDirBytes(attachment.adapterTensors(), attachment.adapterConfigJson()),
    /**
     * Folds the vectors into the weights ([in, out] layout: a feed-forward vector scales W's rows,
     * any other its columns and the bias), refusing non-finite results as peft's safe_merge.
     * Swapped in by MergedWeights (`peft/merged-weights.ts`) as LoRA's: unmerge gives back the
     * originals bit for bit (peft divides again, "can be inaccurate").
     */
    merge() {
      if (mergedWeights.active) return;
      const list = [...modules.values()];
      const updates = tf.tidy(() => {
        const out: [string, tf.Tensor][] = [];
        for (const m of list) {
          const w = model.weights.get(`${m.name}.weight`)!;
          out.push([`${m.name}.weight`, tf.mul(w, m.feedforward ? m.vector.reshape([-1, 1]) : m.vector.reshape([1, -1]))]);
          const b = model.weights.get(`${m.name}.bias`);
          if (b && !m.feedforward) out.push([`${m.name}.bias`, tf.mul(b, m.vector.reshape([-1]))]);
        }
        return out;
      });
      mergedWeights.swapIn(updates, (key) => `merge: NaN/Inf in the merged ${key}`);
    },
    unmerge() {
      mergedWeights.restore();
    },
    adapterTensors() {
      const out = new Map<string, HostTensor>();
      for (const m of modules.values()) out.set(`${IA3_PREFIX}${m.name}.ia3_l`, { shape: m.vector.shape, data: m.vector.dataSync() as Float32Array });
      return withHeadTensors(out, heads);
    },
    adapterConfigJson() {
      return {
        peft_type: 'IA3',
        task_type: PEFT_TASK_TYPES[model.head],
        base_model_name_or_path: config.baseModelNameOrPath,
        target_modules: config.targetModules,
        feedforward_modules: config.feedforwardModules,
        exclude_modules: null,
        // As peft: Conv1D (GPT-2) needs fan_in_fan_out, nn.Linear must not have it.
        fan_in_fan_out: model.config.family === 'gpt2',
        modules_to_save: heads.modules.length > 0 ? [...modulesToSave] : null,
        init_ia3_weights: true,
        inference_mode: true,
        auto_mapping: null,
        revision: null,
      };
    },
    dispose() {
      disposeModuleAttachment(parts, attachment.hooks);
    },
  };
  return attachment;
}
