import { registerPeftMethod } from '../base.js';
import type { PrefixConfigInput } from './config.js';
import { createPrefixAttachment } from './layer.js';

registerPeftMethod({ name: 'prefix', create: (model, config, adapterName) => createPrefixAttachment(model, (config ?? {}) as PrefixConfigInput, adapterName) });

export * from './config.js';
export * from './layer.js';
