/**
 * `peft-lab model logits`: tokenize a text with a local HF model directory's
 * tokenizer, optionally apply a peft LoRA adapter, return ids and logits.
 */
import * as tf from '@tensorflow/tfjs';
import { CheckpointFormatError } from '../errors.js';
import { loadHfModel } from './model-io.js';
import { loadLoraAdapter } from '../peft/lora/adapter-io.js';

export interface ModelLogitsArgs {
  modelDir: string;
  /** A peft LoRA adapter directory (adapter_config.json + adapter_model.safetensors). */
  adapterDir?: string;
  text: string;
}

export interface ModelLogitsResult {
  input_ids: number[];
  /** causal LM / token classification: one row per position; sequence classification: one row. */
  logits: number[][];
}

/**
 * @example const { input_ids, logits } = await modelLogits({ modelDir: 'test-fixtures/gpt2-tiny', text: 'Hello' });
 */
export async function modelLogits({ modelDir, adapterDir, text }: ModelLogitsArgs): Promise<ModelLogitsResult> {
  const { model, tokenizer } = loadHfModel(modelDir);
  let adapter: { dispose(): void } | null = null;
  try {
    if (!tokenizer) throw new CheckpointFormatError(`${modelDir}: tokenizer.json is missing`);
    if (adapterDir) adapter = loadLoraAdapter(model, adapterDir);
    const ids = tokenizer.encode(text);
    const out = tf.tidy(() => {
      const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
      return model.forward({ inputIds, attentionMask: tf.onesLike(inputIds) }, { training: false });
    });
    try {
      const rows = (await out.array()) as number[][] | number[][][];
      return { input_ids: ids, logits: out.rank === 3 ? (rows as number[][][])[0] : (rows as number[][]) };
    } finally {
      out.dispose();
    }
  } finally {
    adapter?.dispose();
    model.dispose();
  }
}
