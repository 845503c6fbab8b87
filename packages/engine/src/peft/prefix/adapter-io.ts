/**
 * Prefix tuning directories as `saveAttachment` writes them and peft stores them: adapter_model.safetensors
 * (`prompt_embeddings` [L, 2·layers·kvHeads·headDim], always folded; saved heads `base_model.<head>.weight`
 * in nn.Linear's [out, in]) + adapter_config.json (`peft_type: PREFIX_TUNING`). The files: ../peft-adapter-dir.ts.
 */
import { UnsupportedConfigError } from '../../errors.js';
import type { PeftAttachment, TransformerModel } from '../../types.js';
import { loadHeldAdapter } from '../peft-adapter-dir.js';
import type { PrefixConfigInput } from './config.js';
import { createPrefixAttachment } from './layer.js';

/** adapter_config.json → our prefix config; rejects another peft_type. */
export function prefixConfigFromPeft(json: Record<string, any>): PrefixConfigInput {
  if (json.peft_type !== 'PREFIX_TUNING') throw new UnsupportedConfigError('peft_type', json.peft_type, 'loadPrefixAdapter reads PREFIX_TUNING adapters');
  // Saved folded (`beforeSave`): the table only, whatever prefix_projection trained with. modules_to_save null: no head saved, none created.
  return { numVirtualTokens: json.num_virtual_tokens, prefixProjection: false, modulesToSave: json.modules_to_save ?? [] };
}

/**
 * Loads a prefix tuning directory onto `model` under `adapterName` and activates it.
 * @throws CheckpointFormatError naming the file and the missing or misshapen tensor.
 */
export function loadPrefixAdapter(model: TransformerModel, dir: string, adapterName = 'default'): PeftAttachment {
  return loadHeldAdapter(model, dir, prefixConfigFromPeft, createPrefixAttachment, adapterName);
}
