import { registerPeftMethod } from '../base.js';
import type { PromptConfigInput } from './config.js';
import { createPromptAttachment } from './layer.js';

registerPeftMethod({ name: 'prompt', create: (model, config, adapterName) => createPromptAttachment(model, (config ?? {}) as PromptConfigInput, adapterName) });

export * from './config.js';
export * from './layer.js';
