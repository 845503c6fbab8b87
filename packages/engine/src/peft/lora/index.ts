import { registerPeftMethod } from '../base.js';
import { loadLoraAdapter } from './adapter-io.js';
import { LoraConfigSchema, type LoraConfigInput } from './config.js';
import { createLoraAttachment } from './layer.js';

registerPeftMethod({
  name: 'lora',
  create: (model, config, adapterName) => createLoraAttachment(model, (config ?? {}) as LoraConfigInput, adapterName),
  configSchema: LoraConfigSchema,
  load: loadLoraAdapter,
});

export { LoraConfigSchema, DEFAULT_TARGET_MODULES, type LoraConfig, type LoraConfigInput } from './config.js';
export { createLoraAttachment, loraParamCount, matchTargetModules, type LoraAttachment, type LoraModule } from './layer.js';
export { saveLoraAdapter, loadLoraAdapter, loraConfigFromPeft } from './adapter-io.js';
