import { registerPeftMethod } from '../base.js';
import type { AdapterConfigInput } from './config.js';
import { createAdapterAttachment } from './layer.js';

registerPeftMethod({ name: 'adapter', create: (model, config, adapterName) => createAdapterAttachment(model, (config ?? {}) as AdapterConfigInput, adapterName) });

export * from './config.js';
export * from './layer.js';
