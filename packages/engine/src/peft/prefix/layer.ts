import * as tf from '@tensorflow/tfjs';
import type { TransformerModel } from '../../types.js';
import { safetensorsFileSize, type HostTensor } from '../../hf/safetensors.js';
import { seededNormal } from '../seeded-random.js';
import { createSavedHeads, defaultModulesToSave, PEFT_TASK_TYPES, PROMPT_SAVED_PREFIX } from '../modules-to-save.js';
import type { SavableAttachment } from '../save-attachment.js';
import { PrefixConfigSchema, type PrefixConfigInput } from './config.js';
import { prefixRowWidth } from './declaration.js';

/** The folded table's name, as peft saves it. */
export const PREFIX_TABLE = 'prompt_embeddings';
const MLP = {
  embedding: 'prompt_encoder.embedding.weight',
  w0: 'prompt_encoder.transform.0.weight',
  b0: 'prompt_encoder.transform.0.bias',
  w2: 'prompt_encoder.transform.2.weight',
  b2: 'prompt_encoder.transform.2.bias',
} as const;

// Row width and the analytical trainable count: the declaration's formula.
export { prefixParamCount, prefixRowWidth } from './declaration.js';

export interface PrefixAttachment extends SavableAttachment {
  /** Replaces the MLP by the table it computes; the outputs stay the same. No-op without projection. */
  fold(): void;
  /** True once there is only the plain table (always, without projection). */
  readonly folded: boolean;
}

/**
 * Row layout follows peft (`past_key_values.view(L, layers·2, heads, headDim)`):
 * column block 2i is layer i's key, 2i+1 its value, so the folded
 * `prompt_embeddings` [L, 2·layers·kvHeads·headDim] is peft's saved tensor.
 */
export function createPrefixAttachment(model: TransformerModel, input: PrefixConfigInput = {}, adapterName = 'default'): PrefixAttachment {
  const config = PrefixConfigSchema.parse(input);
  const c = model.config;
  const L = config.numVirtualTokens;
  const width = prefixRowWidth(c);
  const kvDim = c.numKvHeads * c.headDim;
  const hidden = config.encoderHiddenSize ?? c.dModel;
  /** The prefix's own variables (table or MLP); `trainable` also holds the saved heads. */
  const own = new Map<string, tf.Variable>();
  let seed = config.seed;
  const normal = (shape: number[]) => seededNormal(shape, 0, config.initStd, seed++);
  tf.tidy(() => {
    if (config.prefixProjection) {
      own.set(MLP.embedding, tf.variable(normal([L, c.dModel])));
      own.set(MLP.w0, tf.variable(normal([c.dModel, hidden])));
      own.set(MLP.b0, tf.variable(tf.zeros([hidden])));
      own.set(MLP.w2, tf.variable(normal([hidden, width])));
      own.set(MLP.b2, tf.variable(tf.zeros([width])));
    } else {
      own.set(PREFIX_TABLE, tf.variable(normal([L, width])));
    }
  });
  const modulesToSave = config.modulesToSave ?? defaultModulesToSave(model.head);
  let heads: ReturnType<typeof createSavedHeads>;
  try {
    heads = createSavedHeads(model, modulesToSave, PROMPT_SAVED_PREFIX);
  } catch (e) {
    for (const v of own.values()) v.dispose();
    throw e;
  }
  const trainable = new Map<string, tf.Variable>([...own, ...heads.trainable]);

  /** [L, width]: the table itself, or the MLP's output. */
  const table = (): tf.Tensor2D => {
    const t = own.get(PREFIX_TABLE);
    if (t) return t as tf.Tensor2D;
    const g = (k: string) => own.get(k)!;
    return tf.tanh(g(MLP.embedding).matMul(g(MLP.w0)).add(g(MLP.b0))).matMul(g(MLP.w2)).add(g(MLP.b2)) as tf.Tensor2D;
  };
  // The models call layer 0 first in every forward; the MLP then runs once per
  // forward instead of once per layer. A disposed cache (the caller's tidy
  // ended) is recomputed.
  let cached: tf.Tensor2D | null = null;
  const layerKv = (layer: number, batchSize: number) => {
    if (layer === 0 || !cached || cached.isDisposed) cached = table();
    const kv = (which: 0 | 1) =>
      cached!.slice([0, (2 * layer + which) * kvDim], [L, kvDim])
        .reshape([1, L, c.numKvHeads, c.headDim]).transpose([0, 2, 1, 3])
        .tile([batchSize, 1, 1, 1]);
    return { key: kv(0), value: kv(1) };
  };

  const configJson = () => ({
    peft_type: 'PREFIX_TUNING', task_type: PEFT_TASK_TYPES[model.head],
    num_virtual_tokens: L, token_dim: c.dModel, num_transformer_submodules: 1, num_attention_heads: c.numHeads,
    num_layers: c.numLayers, encoder_hidden_size: hidden, prefix_projection: config.prefixProjection,
    modules_to_save: heads.modules.length > 0 ? [...modulesToSave] : null,
  });
  const attachment: PrefixAttachment = {
    method: 'prefix',
    adapterName,
    config: { ...config, encoderHiddenSize: hidden },
    // Every layer's prefix comes from the one table (or MLP): all of it is read in each layer.
    hooks: { ...heads.hooks(), attentionPrefix: layerKv, layerVariables: () => [...own.values()] },
    trainable,
    get folded() { return own.has(PREFIX_TABLE); },
    // What is stored per task is always the folded table (peft saves the MLP's output too), and the saved heads.
    storedBytes: () => safetensorsFileSize(new Map([[PREFIX_TABLE, [L, width]], ...heads.shapes()])) + Buffer.byteLength(JSON.stringify(configJson(), null, 2)),
    adapterConfigJson: configJson,
    beforeSave() { attachment.fold(); },
    adapterTensors() {
      const out = new Map<string, HostTensor>();
      for (const [k, v] of own) out.set(k, { shape: v.shape.slice(), data: v.dataSync() as Float32Array });
      for (const [k, t] of heads.tensors()) out.set(k, t);
      return out;
    },
    fold() {
      if (own.has(PREFIX_TABLE)) return;
      const folded = tf.tidy(() => tf.variable(table()));
      for (const [k, v] of own) {
        v.dispose();
        trainable.delete(k);
      }
      own.clear();
      own.set(PREFIX_TABLE, folded);
      // The table first, then the heads, as a fresh attachment orders them.
      const rest = [...trainable];
      trainable.clear();
      trainable.set(PREFIX_TABLE, folded);
      for (const [k, v] of rest) trainable.set(k, v);
      cached = null;
    },
    dispose() {
      if (model.hooks === this.hooks) model.hooks = null;
      for (const v of trainable.values()) v.dispose();
      trainable.clear();
      own.clear();
      heads.dispose();
    },
  };
  return attachment;
}

export { MLP as PREFIX_MLP_NAMES };
