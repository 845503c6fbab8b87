import { registerPeftMethod } from '../base.js';
import { loadPrefixAdapter } from './adapter-io.js';
import { PrefixConfigSchema, type PrefixConfigInput } from './config.js';
import { createPrefixAttachment } from './layer.js';

registerPeftMethod({ name: 'prefix', create: (model, config, adapterName) => createPrefixAttachment(model, (config ?? {}) as PrefixConfigInput, adapterName), configSchema: PrefixConfigSchema, load: loadPrefixAdapter });

export * from './config.js';
export * from './layer.js';
export * from './adapter-io.js';
