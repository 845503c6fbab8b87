/**
 * (IA)³ adapter directories as peft 0.21 writes and reads them: adapter_model.safetensors (keys
 * `base_model.model.<module>.ia3_l`, [1, in] for feed-forward modules, [out, 1] otherwise; saved
 * heads `base_model.model.<head>.weight` in nn.Linear's [out, in]) + adapter_config.json
 * (`peft_type: IA3`, `target_modules`, `feedforward_modules`). The files: ../peft-adapter-dir.ts.
 */
import { UnsupportedConfigError } from '../../errors.js';
import type { PeftAttachment, TransformerModel } from '../../types.js';
import { missingSavedHead, readPeftAdapterDir, registerLoadedAdapter, writePeftAdapterDir } from '../peft-adapter-dir.js';
import type { Ia3ConfigInput } from './config.js';
import { createIa3Attachment, IA3_PREFIX, type Ia3Attachment } from './layer.js';

/** Writes `attachment` as a peft (IA)³ adapter directory. */
export function saveIa3Adapter(attachment: PeftAttachment, dir: string): void {
  writePeftAdapterDir(attachment, 'ia3', dir, ['saveIa3Adapter', '(IA)³']);
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
  // peft 0.21 saves without the adapter name; a key that keeps it (`ia3_l.default`) is read too.
  const { config, weightsPath, tensors } = readPeftAdapterDir(dir, ia3ConfigFromPeft, (name) => name.replace(/\.ia3_l\.[^.]+$/, '.ia3_l'));
  const attachment = createIa3Attachment(model, config, adapterName, tensors);
  const missing = [...attachment.modules.keys()].find((m) => !tensors.has(`${IA3_PREFIX}${m}.ia3_l`));
  const problem = missing !== undefined ? `no ia3_l for targeted module ${missing}` : missingSavedHead(config.modulesToSave, attachment.savedModules, tensors, IA3_PREFIX);
  return registerLoadedAdapter(model, attachment, weightsPath, problem);
}
