import { registerPeftMethod } from '../base.js';
import { PromptConfigSchema, type PromptConfigInput } from './config.js';
import { createPromptAttachment } from './layer.js';

registerPeftMethod({ name: 'prompt', create: (model, config, adapterName) => createPromptAttachment(model, (config ?? {}) as PromptConfigInput, adapterName), configSchema: PromptConfigSchema });

export * from './config.js';
export * from './layer.js';
