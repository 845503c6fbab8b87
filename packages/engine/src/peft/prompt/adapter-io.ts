/**
 * Prompt tuning directories as `saveAttachment` writes them and peft stores them: adapter_model.safetensors
 * (`prompt_embeddings` [L, dModel]; saved heads `base_model.<head>.weight` in nn.Linear's [out, in]) +
 * adapter_config.json (`peft_type: PROMPT_TUNING`). The files: ../peft-adapter-dir.ts.
 */
import { UnsupportedConfigError } from '../../errors.js';
import type { PeftAttachment, TransformerModel } from '../../types.js';
import { loadHeldAdapter } from '../peft-adapter-dir.js';
import type { PromptConfigInput } from './config.js';
import { createPromptAttachment } from './layer.js';

/** adapter_config.json → our prompt config; rejects another peft_type. */
export function promptConfigFromPeft(json: Record<string, any>): PromptConfigInput {
  if (json.peft_type !== 'PROMPT_TUNING') throw new UnsupportedConfigError('peft_type', json.peft_type, 'loadPromptAdapter reads PROMPT_TUNING adapters');
  // The saved table replaces any init, so the cheapest one is used. modules_to_save null: no head saved, none created.
  return { numVirtualTokens: json.num_virtual_tokens, init: 'random', modulesToSave: json.modules_to_save ?? [] };
}

/**
 * Loads a prompt tuning directory onto `model` under `adapterName` and activates it.
 * @throws CheckpointFormatError naming the file and the missing or misshapen tensor.
 */
export function loadPromptAdapter(model: TransformerModel, dir: string, adapterName = 'default'): PeftAttachment {
  return loadHeldAdapter(model, dir, promptConfigFromPeft, createPromptAttachment, adapterName);
}
