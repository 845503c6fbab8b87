/**
 * PEFT adapter directories: adapter_model.safetensors (keys
 * `base_model.model.<module>.lora_A.weight`, …) + adapter_config.json, the
 * files `PeftModel.from_pretrained(base, dir)` reads. The files: ../peft-adapter-dir.ts.
 */
import { UnsupportedConfigError } from '../../errors.js';
import type { PeftAttachment, TransformerModel } from '../../types.js';
import { missingSavedHead, readPeftAdapterDir, registerLoadedAdapter, writePeftAdapterDir } from '../peft-adapter-dir.js';
import type { LoraConfigInput } from './config.js';
import { createLoraAttachment, PEFT_PREFIX, type LoraAttachment } from './layer.js';

/** Writes `attachment` as a peft LoRA adapter directory. */
export function saveLoraAdapter(attachment: PeftAttachment, dir: string): void {
  writePeftAdapterDir(attachment, 'lora', dir, ['saveLoraAdapter', 'LoRA']);
}

/** peft's adapter_config.json → our LoRA config; rejects features the engine does not run, naming the key. */
export function loraConfigFromPeft(json: Record<string, any>): LoraConfigInput {
  if (json.peft_type !== 'LORA') throw new UnsupportedConfigError('peft_type', json.peft_type, 'loadLoraAdapter reads LORA adapters');
  if (json.bias && json.bias !== 'none') throw new UnsupportedConfigError('bias', json.bias, 'supported: none');
  if (json.layers_to_transform != null) throw new UnsupportedConfigError('layers_to_transform', json.layers_to_transform);
  for (const key of ['rank_pattern', 'alpha_pattern']) {
    if (json[key] && Object.keys(json[key]).length > 0) throw new UnsupportedConfigError(key, json[key]);
  }
  if (!Array.isArray(json.target_modules)) throw new UnsupportedConfigError('target_modules', json.target_modules, 'a list of module names is supported, not a regex');
  return {
    r: json.r,
    alpha: json.lora_alpha ?? 8,
    dropout: json.lora_dropout ?? 0,
    targetModules: json.target_modules,
    useRslora: json.use_rslora ?? false,
    useDora: json.use_dora ?? false,
    modulesToSave: json.modules_to_save ?? undefined,
    baseModelNameOrPath: json.base_model_name_or_path ?? null,
  };
}

/** Some peft versions keep the adapter name in the key (`lora_A.default.weight`, `lora_magnitude_vector.default.weight`). */
function loraKey(name: string): string {
  return name.replace(/\.(lora_[AB])\.[^.]+\.weight$/, '.$1.weight').replace(/\.lora_magnitude_vector(?:\.[^.]+)?(?:\.weight)?$/, '.lora_magnitude_vector');
}

/**
 * Imports a peft LoRA adapter directory onto `model` under `adapterName` and
 * activates it (several adapters may be loaded; see `setActiveAdapter`).
 * @example const lora = loadLoraAdapter(model, 'test-fixtures/gpt2-tiny-lora');
 */
export function loadLoraAdapter(model: TransformerModel, dir: string, adapterName = 'default'): LoraAttachment {
  const { config, weightsPath, tensors } = readPeftAdapterDir(dir, loraConfigFromPeft, loraKey);
  const attachment = createLoraAttachment(model, config, adapterName, tensors);
  const has = (m: string, key: string) => tensors.has(`${PEFT_PREFIX}${m}.${key}`);
  const moduleProblem = (m: string): string | undefined =>
    !has(m, 'lora_A.weight') || !has(m, 'lora_B.weight') ? `no lora_A/lora_B for targeted module ${m}`
      : config.useDora && !has(m, 'lora_magnitude_vector') ? `use_dora is set but there is no lora_magnitude_vector for targeted module ${m}`
        : undefined;
  const problem = [...attachment.modules.values()].map((m) => moduleProblem(m.name)).find((x) => x !== undefined)
    ?? missingSavedHead(config.modulesToSave, attachment.savedModules, tensors, PEFT_PREFIX);
  return registerLoadedAdapter(model, attachment, weightsPath, problem);
}
