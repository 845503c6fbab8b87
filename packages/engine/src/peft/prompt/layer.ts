import * as tf from '@tensorflow/tfjs';
import { PeftConfigError } from '../../errors.js';
import type { TransformerModel } from '../../types.js';
import type { SavableAttachment } from '../save-attachment.js';
import { safetensorsFileSize, type HostTensor } from '../../hf/safetensors.js';
import { createSavedHeads, defaultModulesToSave, PEFT_TASK_TYPES, PROMPT_SAVED_PREFIX } from '../modules-to-save.js';
import { SeededRng } from '../../util/rng.js';
import { PromptConfigSchema, type PromptConfigInput } from './config.js';

export const PROMPT_TABLE = 'prompt_embeddings';
const EMBEDDING_NAME = /(^|\.)(wte|embed_tokens|word_embeddings)\.weight$/;

/** The token embedding matrix [vocab, dModel] of any family (GPT-2 wte, Llama embed_tokens, BERT word_embeddings). */
export function tokenEmbedding(model: TransformerModel): tf.Variable {
  for (const [name, v] of model.weights) if (EMBEDDING_NAME.test(name)) return v;
  throw new PeftConfigError(`prompt init: no token embedding matrix among the model weights (looked for ${EMBEDDING_NAME})`);
}

/** Analytical trainable parameter count: the declaration's formula. */
export { promptParamCount } from './declaration.js';

export function createPromptAttachment(model: TransformerModel, input: PromptConfigInput = {}, adapterName = 'default'): SavableAttachment {
  const config = PromptConfigSchema.parse(input);
  const { vocabSize: V, dModel: d } = model.config;
  const L = config.numVirtualTokens;
  let rows: number[] | null = null;
  if (config.init === 'sampled-vocab') {
    const rng = new SeededRng(config.seed);
    rows = Array.from({ length: L }, () => Math.floor(rng.next() * V));
  } else if (config.init === 'text') {
    const ids = config.initTokenIds!;
    const bad = ids.find((i) => i >= V);
    if (bad !== undefined) throw new PeftConfigError(`initTokenIds: id ${bad} is outside the vocabulary (size ${V})`);
    rows = Array.from({ length: L }, (_, i) => ids[i % ids.length]);
  }
  const prompt = tf.tidy(() => {
    const init = rows
      ? tf.gather(tokenEmbedding(model), tf.tensor1d(rows, 'int32'))
      : tf.randomUniform([L, d], -0.5, 0.5, 'float32', config.seed);
    return tf.variable(init);
  });
  const modulesToSave = config.modulesToSave ?? defaultModulesToSave(model.head);
  let heads: ReturnType<typeof createSavedHeads>;
  try {
    heads = createSavedHeads(model, modulesToSave, PROMPT_SAVED_PREFIX);
  } catch (e) {
    prompt.dispose();
    throw e;
  }
  const trainable = new Map<string, tf.Variable>([[PROMPT_TABLE, prompt], ...heads.trainable]);
  const configJson = {
    peft_type: 'PROMPT_TUNING', task_type: PEFT_TASK_TYPES[model.head], num_virtual_tokens: L, token_dim: d, num_transformer_submodules: 1,
    prompt_tuning_init: config.init === 'text' ? 'TEXT' : config.init === 'sampled-vocab' ? 'SAMPLE_VOCAB' : 'RANDOM',
    modules_to_save: heads.modules.length > 0 ? [...modulesToSave] : null,
  };
  return {
    method: 'prompt',
    adapterName,
    config,
    hooks: {
      ...heads.hooks(),
      inputEmbeddings: (embeds: tf.Tensor) => {
        const batch = embeds.shape[0];
        return tf.concat([prompt.expandDims(0).tile([batch, 1, 1]), embeds], 1);
      },
    },
    trainable,
    storedBytes: () => safetensorsFileSize(new Map([[PROMPT_TABLE, [L, d]], ...heads.shapes()])) + Buffer.byteLength(JSON.stringify(configJson, null, 2)),
    adapterConfigJson: () => configJson,
    adapterTensors() {
      const out = new Map<string, HostTensor>([[PROMPT_TABLE, { shape: prompt.shape.slice(), data: prompt.dataSync() as Float32Array }]]);
      for (const [k, t] of heads.tensors()) out.set(k, t);
      return out;
    },
    dispose() {
      if (model.hooks === this.hooks) model.hooks = null;
      prompt.dispose();
      trainable.clear();
      heads.dispose();
    },
  };
}
