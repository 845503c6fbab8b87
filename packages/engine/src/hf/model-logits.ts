/**
 * `peft-lab model logits`: tokenize a text with a local HF model directory's
 * tokenizer, optionally apply a peft adapter (any registered method's loader, picked by
 * adapter_config.json's peft_type: LoRA / DoRA, (IA)³, bottleneck adapters, prefix and prompt
 * tuning), return ids and logits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointFormatError, UnsupportedConfigError } from '../errors.js';
import { loadHfModel } from './model-io.js';
import { registeredPeftMethod } from '../peft/base.js';
import { METHOD_DECLARATIONS } from '../peft/declarations.js';
import '../peft/methods.js';
import type { PeftAttachment, TransformerModel } from '../types.js';

export interface ModelLogitsArgs {
  modelDir: string;
  /** A peft adapter directory (adapter_config.json + adapter_model.safetensors) of a method the engine loads. */
  adapterDir?: string;
  text: string;
}

export interface ModelLogitsResult {
  input_ids: number[];
  /** causal LM / token classification: one row per position; sequence classification: one row. */
  logits: number[][];
}

/** Loads the adapter in `dir` with the loader of the registered method whose save format is its peft_type. */
function loadAdapterDir(model: TransformerModel, dir: string): PeftAttachment {
  const configPath = join(dir, 'adapter_config.json');
  if (!existsSync(configPath)) throw new CheckpointFormatError(`${dir}: adapter_config.json is missing`);
  const peftType = (JSON.parse(readFileSync(configPath, 'utf8')) as { peft_type?: unknown }).peft_type;
  const loaders = METHOD_DECLARATIONS.flatMap((d) => {
    const load = registeredPeftMethod(d.name)?.load;
    return d.saveFormat !== 'full checkpoint' && load ? [{ peftType: d.saveFormat.peftType, load }] : [];
  });
  const loader = loaders.find((l) => l.peftType === peftType);
  if (!loader) throw new UnsupportedConfigError('peft_type', peftType, `adapters loaded here: ${loaders.map((l) => l.peftType).join(', ')}`);
  return loader.load(model, dir, 'default');
}

/**
 * @example const { input_ids, logits } = await modelLogits({ modelDir: 'test-fixtures/gpt2-tiny', text: 'Hello' });
 */
export async function modelLogits({ modelDir, adapterDir, text }: ModelLogitsArgs): Promise<ModelLogitsResult> {
  const { model, tokenizer } = loadHfModel(modelDir);
  let adapter: { dispose(): void } | null = null;
  try {
    if (!tokenizer) throw new CheckpointFormatError(`${modelDir}: tokenizer.json is missing`);
    if (adapterDir) adapter = loadAdapterDir(model, adapterDir);
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
