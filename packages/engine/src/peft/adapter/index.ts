import { registerPeftMethod } from '../base.js';
import { loadBottleneckAdapter } from './adapter-io.js';
import { AdapterConfigSchema, type AdapterConfigInput } from './config.js';
import { createAdapterAttachment } from './layer.js';

registerPeftMethod({ name: 'adapter', create: (model, config, adapterName) => createAdapterAttachment(model, (config ?? {}) as AdapterConfigInput, adapterName), configSchema: AdapterConfigSchema, load: loadBottleneckAdapter });

export * from './config.js';
export * from './layer.js';
export * from './adapter-io.js';
