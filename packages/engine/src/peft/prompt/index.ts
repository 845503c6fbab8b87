import { registerPeftMethod } from '../base.js';
import { loadPromptAdapter } from './adapter-io.js';
import { PromptConfigSchema, type PromptConfigInput } from './config.js';
import { createPromptAttachment } from './layer.js';

registerPeftMethod({ name: 'prompt', create: (model, config, adapterName) => createPromptAttachment(model, (config ?? {}) as PromptConfigInput, adapterName), configSchema: PromptConfigSchema, load: loadPromptAdapter });

export * from './config.js';
export * from './layer.js';
export * from './adapter-io.js';
