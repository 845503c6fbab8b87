/**
 * PEFT adapter directories: adapter_model.safetensors (keys
 * `base_model.model.<module>.lora_A.weight`, …) + adapter_config.json, the
 * files `PeftModel.from_pretrained(base, dir)` reads.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointFormatError, PeftConfigError, UnsupportedConfigError } from '../../errors.js';
import { SafetensorsFile, writeSafetensors, type HostTensor } from '../../hf/safetensors.js';
import type { PeftAttachment, TransformerModel } from '../../types.js';
import { registerAttachment } from '../base.js';
import type { LoraConfigInput } from './config.js';
import { createLoraAttachment, PEFT_PREFIX, type LoraAttachment } from './layer.js';

function isLora(a: PeftAttachment): a is LoraAttachment {
  return a.method === 'lora' && typeof (a as LoraAttachment).adapterTensors === 'function';
}

/** Writes `attachment` as a peft LoRA adapter directory. */
export function saveLoraAdapter(attachment: PeftAttachment, dir: string): void {
  if (!isLora(attachment)) throw new PeftConfigError(`attachment.method=${JSON.stringify(attachment.method)}: saveLoraAdapter saves LoRA attachments only`);
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'adapter_model.safetensors'), attachment.adapterTensors());
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(attachment.adapterConfigJson(), null, 2));
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

/**
 * Imports a peft LoRA adapter directory onto `model` under `adapterName` and
 * activates it (several adapters may be loaded; see `setActiveAdapter`).
 * @example const lora = loadLoraAdapter(model, 'test-fixtures/gpt2-tiny-lora');
 */
export function loadLoraAdapter(model: TransformerModel, dir: string, adapterName = 'default'): LoraAttachment {
  const configPath = join(dir, 'adapter_config.json');
  const weightsPath = join(dir, 'adapter_model.safetensors');
  if (!existsSync(configPath)) throw new CheckpointFormatError(`${dir}: adapter_config.json is missing`);
  if (!existsSync(weightsPath)) throw new CheckpointFormatError(`${dir}: adapter_model.safetensors is missing`);
  const config = loraConfigFromPeft(JSON.parse(readFileSync(configPath, 'utf8')));
  const file = SafetensorsFile.read(weightsPath);
  const tensors = new Map<string, HostTensor>();
  for (const name of file.entries.keys()) {
    // Some peft versions keep the adapter name in the key (`lora_A.default.weight`, `lora_magnitude_vector.default.weight`).
    tensors.set(name.replace(/\.(lora_[AB])\.[^.]+\.weight$/, '.$1.weight').replace(/\.lora_magnitude_vector(?:\.[^.]+)?(?:\.weight)?$/, '.lora_magnitude_vector'), file.get(name));
  }
  const attachment = createLoraAttachment(model, config, adapterName, tensors);
  for (const m of attachment.modules.values()) {
    if (!tensors.has(`${PEFT_PREFIX}${m.name}.lora_A.weight`) || !tensors.has(`${PEFT_PREFIX}${m.name}.lora_B.weight`)) {
      attachment.dispose();
      throw new CheckpointFormatError(`${weightsPath}: no lora_A/lora_B for targeted module ${m.name}`);
    }
    if (config.useDora && !tensors.has(`${PEFT_PREFIX}${m.name}.lora_magnitude_vector`)) {
      attachment.dispose();
      throw new CheckpointFormatError(`${weightsPath}: use_dora is set but there is no lora_magnitude_vector for targeted module ${m.name}`);
    }
  }
  // Heads the adapter lists in modules_to_save must be in the file (without the list, the defaults start as copies of the base head, as in peft).
  if (config.modulesToSave) {
    const missing = attachment.savedModules.find((m) => !tensors.has(`${PEFT_PREFIX}${m}.weight`));
    if (missing) {
      attachment.dispose();
      throw new CheckpointFormatError(`${weightsPath}: modules_to_save selects ${missing}, but ${PEFT_PREFIX}${missing}.weight is not in the file`);
    }
  }
  registerAttachment(model, attachment);
  return attachment;
}
