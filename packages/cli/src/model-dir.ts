// A local Hugging Face model directory as the CLI reads it: what is wrong with it is bad input (exit 2).
import { existsSync, statSync } from 'node:fs';
import { CliInputError } from './errors.js';

type Engine = typeof import('@peft-lab/engine');

export interface ModelDirConfig {
  raw: Record<string, any>;
  config: ReturnType<Engine['normalizeHfConfig']>;
  /** The head the checkpoint was saved with (from `architectures`). */
  head: ReturnType<Engine['headFromHfConfig']>;
}

/**
 * config.json of `dir`, normalised; a missing directory, a missing or unreadable config.json
 * and an unsupported model_type throw CliInputError naming `field`, the directory and the problem.
 */
export async function readModelDir(field: string, dir: string): Promise<ModelDirConfig> {
  if (!existsSync(dir)) throw new CliInputError(field, dir, 'no such directory');
  if (!statSync(dir).isDirectory()) throw new CliInputError(field, dir, 'is not a directory (a Hugging Face model directory holds config.json and model.safetensors)');
  const { readHfConfig, normalizeHfConfig, headFromHfConfig } = await import('@peft-lab/engine');
  let raw: Record<string, any>;
  try {
    raw = readHfConfig(dir);
  } catch (err) {
    if (err instanceof SyntaxError) throw new CliInputError(field, dir, `config.json is not valid JSON (${err.message})`);
    if ((err as { code?: string }).code === 'CHECKPOINT_FORMAT') throw new CliInputError(field, dir, 'has no config.json (not a Hugging Face model directory)');
    throw err;
  }
  try {
    return { raw, config: normalizeHfConfig(raw), head: headFromHfConfig(raw) };
  } catch (err) {
    if ((err as { code?: string }).code === 'UNSUPPORTED_CONFIG') throw new CliInputError(field, dir, (err as Error).message);
    throw err;
  }
}
