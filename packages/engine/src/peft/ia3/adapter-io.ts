/**
 * (IA)³ adapter directories as peft 0.21 writes and reads them: adapter_model.safetensors (keys
 * `base_model.model.<module>.ia3_l`, [1, in] for feed-forward modules, [out, 1] otherwise; saved
 * heads `base_model.model.<head>.weight` in nn.Linear's [out, in]) + adapter_config.json
 * (`peft_type: IA3`, `target_modules`, `feedforward_modules`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointFormatError, PeftConfigError, UnsupportedConfigError } from '../../errors.js';
import { SafetensorsFile, writeSafetensors, type HostTensor } from '../../hf/safetensors.js';
import type { PeftAttachment, TransformerModel } from '../../types.js';
import { registerAttachment } from '../base.js';
import type { Ia3ConfigInput } from './config.js';
import { createIa3Attachment, IA3_PREFIX, type Ia3Attachment } from './layer.js';

function isIa3(a: PeftAttachment): a is Ia3Attachment {
  return a.method === 'ia3' && typeof (a as Ia3Attachment).adapterTensors === 'function';
}

/** Writes `attachment` as a peft (IA)³ adapter directory. */
export function saveIa3Adapter(attachment: PeftAttachment, dir: string): void {
  if (!isIa3(attachment)) throw new PeftConfigError(`attachment.method=${JSON.stringify(attachment.method)}: saveIa3Adapter saves (IA)³ attachments only`);
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'adapter_model.safetensors'), attachment.adapterTensors());
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(attachment.adapterConfigJson(), null, 2));
}

/** peft's adapter_config.json → our (IA)³ config; rejects what the engine does not run, naming the key. */
export function ia3ConfigFromPeft(json: Record<string, any>): Ia3ConfigInput {
  if (json.peft_type !== 'IA3') throw new UnsupportedConfigError('peft_type', json.peft_type, 'loadIa3Adapter reads IA3 adapters');
  for (const key of ['target_modules', 'feedforward_modules']) {
    if (!Array.isArray(json[key])) throw new UnsupportedConfigError(key, json[key], 'a list of module names is supported, not a regex');
  }
  if (json.exclude_modules != null && !(Array.isArray(json.exclude_modules) && json.exclude_modules.length === 0)) throw new UnsupportedConfigError('exclude_modules', json.exclude_modules);
  if (json.init_ia3_weights === false) throw new UnsupportedConfigError('init_ia3_weights', false, 'vectors start at ones');
  return {
    targetModules: json.target_modules,
    feedforwardModules: json.feedforward_modules,
    modulesToSave: json.modules_to_save ?? undefined,
    baseModelNameOrPath: json.base_model_name_or_path ?? null,
  };
}

/**
 * Imports a peft (IA)³ adapter directory onto `model` under `adapterName` and activates it.
 * @example const ia3 = loadIa3Adapter(model, 'test-fixtures/qwen2-tiny-ia3');
 */
export function loadIa3Adapter(model: TransformerModel, dir: string, adapterName = 'default'): Ia3Attachment {
  const configPath = join(dir, 'adapter_config.json');
  const weightsPath = join(dir, 'adapter_model.safetensors');
  if (!existsSync(configPath)) throw new CheckpointFormatError(`${dir}: adapter_config.json is missing`);
  if (!existsSync(weightsPath)) throw new CheckpointFormatError(`${dir}: adapter_model.safetensors is missing`);
  const config = ia3ConfigFromPeft(JSON.parse(readFileSync(configPath, 'utf8')));
  const file = SafetensorsFile.read(weightsPath);
  const tensors = new Map<string, HostTensor>();
  // peft 0.21 saves without the adapter name; a key that keeps it (`ia3_l.default`) is read too.
  for (const name of file.entries.keys()) tensors.set(name.replace(/\.ia3_l\.[^.]+$/, '.ia3_l'), file.get(name));
  const attachment = createIa3Attachment(model, config, adapterName, tensors);
  const missing = [...attachment.modules.keys()].find((m) => !tensors.has(`${IA3_PREFIX}${m}.ia3_l`));
  const missingHead = config.modulesToSave ? attachment.savedModules.find((m) => !tensors.has(`${IA3_PREFIX}${m}.weight`)) : undefined;
  if (missing || missingHead) {
    attachment.dispose();
    throw new CheckpointFormatError(missing ? `${weightsPath}: no ia3_l for targeted module ${missing}` : `${weightsPath}: modules_to_save selects ${missingHead}, but ${IA3_PREFIX}${missingHead}.weight is not in the file`);
  }
  registerAttachment(model, attachment);
  return attachment;
}
