/**
 * peft adapter directories, as `PeftModel.save_pretrained` writes and `from_pretrained` reads them:
 * adapter_model.safetensors + adapter_config.json. The method's adapter-io (`lora/`, `ia3/`) says
 * what the config means and which tensors must be there; this module does the files and the
 * dispose-on-failure around the attachment, once for every method stored in peft's format.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointFormatError, PeftConfigError } from '../errors.js';
import { SafetensorsFile, writeSafetensors, type HostTensor } from '../hf/safetensors.js';
import type { PeftAttachment, TransformerModel } from '../types.js';
import { registerAttachment } from './base.js';

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
