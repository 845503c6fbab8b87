/**
 * Bottleneck adapter directories as `saveAttachment` writes them (peft has no such method; the
 * files follow its layout): adapter_model.safetensors (keys `adapters.<layer>.<site>.{down|up}.{weight|bias}`,
 * held [in, out]; saved heads `base_model.<head>.weight` in nn.Linear's [out, in]) + adapter_config.json
 * (`peft_type: BOTTLENECK_ADAPTER`, `placement`, `bottleneck`, `non_linearity`). The files: ../peft-adapter-dir.ts.
 */
import { UnsupportedConfigError } from '../../errors.js';
import type { PeftAttachment, TransformerModel } from '../../types.js';
import { loadHeldAdapter } from '../peft-adapter-dir.js';
import type { AdapterConfigInput } from './config.js';
import { createAdapterAttachment } from './layer.js';

/** adapter_config.json (see `adapterConfigJson`) → our adapter config; rejects what the engine does not run, naming the key. */
export function bottleneckConfigFromPeft(json: Record<string, any>): AdapterConfigInput {
  if (json.peft_type !== 'BOTTLENECK_ADAPTER') throw new UnsupportedConfigError('peft_type', json.peft_type, 'loadBottleneckAdapter reads BOTTLENECK_ADAPTER adapters');
  if (json.weight_layout != null && json.weight_layout !== '[in, out]') throw new UnsupportedConfigError('weight_layout', json.weight_layout, 'saved as held: [in, out]');
  // null: no head was saved, so none is created (a saved head's copy replaces the base's otherwise).
  return { placement: json.placement, bottleneck: json.bottleneck, nonLinearity: json.non_linearity, modulesToSave: json.modules_to_save ?? [] };
}

/**
 * Loads a bottleneck adapter directory onto `model` under `adapterName` and activates it.
 * @throws CheckpointFormatError naming the file and the missing or misshapen tensor.
 */
export function loadBottleneckAdapter(model: TransformerModel, dir: string, adapterName = 'default'): PeftAttachment {
  return loadHeldAdapter(model, dir, bottleneckConfigFromPeft, createAdapterAttachment, adapterName);
}
