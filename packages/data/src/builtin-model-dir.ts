import { fileURLToPath } from 'node:url';

/** The committed files of the built-in model: tokenizer, config and (once pretrained) weights. */
export const BUILTIN_MODEL_DIR = fileURLToPath(new URL('../builtin-model/', import.meta.url));
