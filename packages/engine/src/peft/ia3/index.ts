import { registerPeftMethod } from '../base.js';
import { loadIa3Adapter } from './adapter-io.js';
import { Ia3ConfigSchema, type Ia3ConfigInput } from './config.js';
import { createIa3Attachment } from './layer.js';

registerPeftMethod({
  name: 'ia3',
  create: (model, config, adapterName) => createIa3Attachment(model, (config ?? {}) as Ia3ConfigInput, adapterName),
  configSchema: Ia3ConfigSchema,
  load: loadIa3Adapter,
});

export { Ia3ConfigSchema, DEFAULT_IA3_TARGET_MODULES, DEFAULT_IA3_FEEDFORWARD_MODULES, type Ia3Config, type Ia3ConfigInput } from './config.js';
export { createIa3Attachment, ia3ParamCount, isFeedforwardModule, resolveIa3Modules, IA3_PREFIX, type Ia3Attachment, type Ia3Module } from './layer.js';
export { saveIa3Adapter, loadIa3Adapter, ia3ConfigFromPeft } from './adapter-io.js';
