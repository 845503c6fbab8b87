import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveHfModel } from '../hf/model-io.js';
import { serializeSafetensors, type HostTensor } from '../hf/safetensors.js';
import type { HfTokenizer } from '../hf/tokenizer.js';
import type { PeftAttachment, TransformerModel } from '../types.js';
import { TrainingConfigError } from '../train/errors.js';

/**
 * A PeftAttachment that can describe its saved form: the adapter methods of
 * this engine (adapter, prefix, prompt) implement it.
 */
export interface SavableAttachment extends PeftAttachment {
  /** adapter_config.json contents (peft's field names where peft has the method). */
  adapterConfigJson(): Record<string, unknown>;
  /** Brings the trainables into their stored form first (prefix: fold the MLP). */
  beforeSave?(): void;
  /** The tensors to store when they differ from `trainable` as held (LoRA's peft layouts, saved heads in checkpoint layout). */
  adapterTensors?(): Map<string, HostTensor>;
}

/** An attachment with its own writer (e.g. LoRA's PEFT-format save). */
interface SelfSavingAttachment extends PeftAttachment {
  save(dir: string): void | Promise<void>;
}

/** The adapter files: `adapter_model.safetensors` (trainables, F32) and `adapter_config.json`. */
export async function adapterFiles(a: SavableAttachment): Promise<{ safetensors: Uint8Array; configJson: string }> {
  a.beforeSave?.();
  // LoRA keeps its own saved layout (peft's [r, in] / [out, r]) and saved heads are stored [out, in]; otherwise the trainables as they are.
  let tensors: Map<string, HostTensor>;
  if (typeof a.adapterTensors === 'function') tensors = a.adapterTensors();
  else {
    tensors = new Map();
    for (const [name, v] of a.trainable) tensors.set(name, { shape: v.shape.slice(), data: (await v.data()) as Float32Array });
  }
  return { safetensors: serializeSafetensors(tensors), configJson: JSON.stringify(a.adapterConfigJson(), null, 2) };
}

/**
 * Writes what a task needs stored into `dir`: the full model directory for
 * full fine-tuning, otherwise the adapter files. Returns the files written.
 */
export async function saveAttachment(model: TransformerModel, attachment: PeftAttachment, tokenizer: HfTokenizer | null, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  if (attachment.method === 'full') {
    saveHfModel(model, tokenizer, dir);
    return ['config.json', 'model.safetensors'];
  }
  if ('adapterConfigJson' in attachment) {
    const { safetensors, configJson } = await adapterFiles(attachment as SavableAttachment);
    writeFileSync(join(dir, 'adapter_model.safetensors'), safetensors);
    writeFileSync(join(dir, 'adapter_config.json'), configJson);
    return ['adapter_model.safetensors', 'adapter_config.json'];
  }
  if ('save' in attachment && typeof (attachment as SelfSavingAttachment).save === 'function') {
    await (attachment as SelfSavingAttachment).save(dir);
    return ['adapter_model.safetensors', 'adapter_config.json'];
  }
  throw new TrainingConfigError('attachment.method', attachment.method, 'has no saver (no save(dir) and no adapterConfigJson())');
}
