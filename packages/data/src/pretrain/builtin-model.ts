import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_MODEL_DIR } from '../builtin-model-dir.js';

/** Files `loadHfModel(BUILTIN_MODEL_DIR)` needs. */
export const BUILTIN_MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'] as const;

/**
 * True when the pretrained built-in model is present (weights committed or
 * pretrained locally): then `builtin` resolves to BUILTIN_MODEL_DIR, a plain
 * Hugging Face directory loaded like any user checkpoint.
 */
export function builtinModelAvailable(dir: string = BUILTIN_MODEL_DIR): boolean {
  return BUILTIN_MODEL_FILES.every((f) => existsSync(join(dir, f)));
}
