import { registerPeftMethod } from '../base.js';
import { PrefixConfigSchema, type PrefixConfigInput } from './config.js';
import { createPrefixAttachment } from './layer.js';

registerPeftMethod({ name: 'prefix', create: (model, config, adapterName) => createPrefixAttachment(model, (config ?? {}) as PrefixConfigInput, adapterName), configSchema: PrefixConfigSchema });

export * from './config.js';
export * from './layer.js';
