/**
 * peft adapter directories, as `PeftModel.save_pretrained` writes and `from_pretrained` reads them:
 * adapter_model.safetensors + adapter_config.json. The method's adapter-io (`lora/`, `ia3/`,
 * `adapter/`, `prefix/`, `prompt/`) says what the config means and which tensors must be there;
 * this module does the files and the dispose-on-failure around the attachment, once for every
 * method stored in peft's format, and the loading of the methods saved as held (`loadHeldAdapter`).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointFormatError, PeftConfigError } from '../errors.js';
import { SafetensorsFile, writeSafetensors, type HostTensor } from '../hf/safetensors.js';
import type { PeftAttachment, TransformerModel } from '../types.js';
import { registerAttachment } from './base.js';
import { PROMPT_SAVED_PREFIX } from './modules-to-save.js';

/** An attachment that gives its tensors in peft's layout and its adapter_config.json. */
export interface PeftDirAttachment extends PeftAttachment {
  adapterTensors(): Map<string, HostTensor>;
  adapterConfigJson(): Record<string, unknown>;
}

/**
 * Writes `attachment` as a peft adapter directory `dir`.
 * @param saver the caller's name and the methods it saves, for the error: `['saveLoraAdapter', 'LoRA']`.
 * @throws PeftConfigError when the attachment is not a `method` one that gives its peft tensors.
 */
export function writePeftAdapterDir(attachment: PeftAttachment, method: string, dir: string, saver: readonly [name: string, label: string]): void {
  if (attachment.method !== method || typeof (attachment as PeftDirAttachment).adapterTensors !== 'function') {
    throw new PeftConfigError(`attachment.method=${JSON.stringify(attachment.method)}: ${saver[0]} saves ${saver[1]} attachments only`);
  }
  const a = attachment as PeftDirAttachment;
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'adapter_model.safetensors'), a.adapterTensors());
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(a.adapterConfigJson(), null, 2));
}

/** A peft adapter directory read: the method's config, the weights file and its tensors under normalised keys. */
export interface PeftAdapterDir<C> {
  readonly config: C;
  readonly weightsPath: string;
  readonly tensors: Map<string, HostTensor>;
}

/**
 * Reads a peft adapter directory: both files must be there; the config goes through `configFromPeft`
 * (which rejects what the method does not run) before the weights are read.
 * @param normaliseKey maps a stored key to the one the method looks up (some peft versions keep
 *   the adapter name in the key: `lora_A.default.weight`).
 * @throws CheckpointFormatError naming the missing file.
 */
export function readPeftAdapterDir<C>(dir: string, configFromPeft: (json: Record<string, any>) => C, normaliseKey: (key: string) => string): PeftAdapterDir<C> {
  const configPath = join(dir, 'adapter_config.json');
  const weightsPath = join(dir, 'adapter_model.safetensors');
  if (!existsSync(configPath)) throw new CheckpointFormatError(`${dir}: adapter_config.json is missing`);
  if (!existsSync(weightsPath)) throw new CheckpointFormatError(`${dir}: adapter_model.safetensors is missing`);
  const config = configFromPeft(JSON.parse(readFileSync(configPath, 'utf8')));
  const file = SafetensorsFile.read(weightsPath);
  const tensors = new Map<string, HostTensor>();
  for (const name of file.entries.keys()) tensors.set(normaliseKey(name), file.get(name));
  return { config, weightsPath, tensors };
}

/**
 * The heads an adapter's modules_to_save lists must be in its file; without the list the default
 * heads start as copies of the base head, as in peft. Returns the problem, or undefined.
 */
export function missingSavedHead(modulesToSave: readonly string[] | undefined, savedModules: readonly string[], tensors: ReadonlyMap<string, HostTensor>, prefix: string): string | undefined {
  if (!modulesToSave) return undefined;
  const missing = savedModules.find((m) => !tensors.has(`${prefix}${m}.weight`));
  return missing === undefined ? undefined : `modules_to_save selects ${missing}, but ${prefix}${missing}.weight is not in the file`;
}

/**
 * Registers a loaded `attachment` on `model` (active), unless `problem` says what the file lacks:
 * then the attachment is disposed and the problem thrown, naming the file.
 * @throws CheckpointFormatError `${weightsPath}: ${problem}`.
 */
export function registerLoadedAdapter<A extends PeftAttachment>(model: TransformerModel, attachment: A, weightsPath: string, problem: string | undefined): A {
  if (problem !== undefined) {
    attachment.dispose();
    throw new CheckpointFormatError(`${weightsPath}: ${problem}`);
  }
  registerAttachment(model, attachment);
  return attachment;
}

/** Saved heads (`base_model.<head>.weight`) are stored [out, in]; the attachment holds them [in, out] like the base. */
const isSavedHeadWeight = (key: string, rank: number) => rank === 2 && key.startsWith(PROMPT_SAVED_PREFIX) && key.endsWith('.weight');

/** What keeps `tensors` from being `attachment`'s trainables as held (every name, every shape), or undefined. */
function heldTensorsProblem(attachment: PeftAttachment, tensors: ReadonlyMap<string, HostTensor>): string | undefined {
  const extra = [...tensors.keys()].filter((k) => !attachment.trainable.has(k));
  if (extra.length) return `holds ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''}, which a ${attachment.method} adapter on this model does not have`;
  for (const [key, v] of attachment.trainable) {
    const t = tensors.get(key);
    if (!t) return `no tensor ${key}, which a ${attachment.method} adapter on this model has`;
    const want = isSavedHeadWeight(key, v.rank) ? [...v.shape].reverse() : v.shape;
    if (t.shape.length !== want.length || t.shape.some((n, i) => n !== want[i])) return `tensor ${key} is [${t.shape.join(', ')}], this model needs [${want.join(', ')}]`;
  }
  return undefined;
}

/**
 * Loads an adapter directory of a method that saves its trainables as held (bottleneck adapters,
 * prefix and prompt tuning; saved heads in nn.Linear's [out, in]): the attachment is created from
 * the config `configFromPeft` reads, every tensor checked by name and shape, then assigned.
 * @throws CheckpointFormatError naming the file and the missing, extra or misshapen tensor.
 */
export function loadHeldAdapter<C>(model: TransformerModel, dir: string, configFromPeft: (json: Record<string, any>) => C, create: (model: TransformerModel, config: C, adapterName: string) => PeftAttachment, adapterName: string): PeftAttachment {
  const { config, weightsPath, tensors } = readPeftAdapterDir(dir, configFromPeft, (key) => key);
  const attachment = create(model, config, adapterName);
  const problem = heldTensorsProblem(attachment, tensors);
  if (problem === undefined) {
    for (const [key, v] of attachment.trainable) {
      const t = tensors.get(key)!;
      tf.tidy(() => {
        const value = tf.tensor(t.data, t.shape);
        v.assign(isSavedHeadWeight(key, v.rank) ? value.transpose() : value);
      });
    }
  }
  return registerLoadedAdapter(model, attachment, weightsPath, problem);
}
