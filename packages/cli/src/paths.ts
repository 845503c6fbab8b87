import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerEnv } from '@peft-lab/worker/env';
import { CliInputError } from './errors.js';

/** The repository root (this file is packages/cli/src/paths.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The CLI entry, for child processes (`tsx <MAIN> worker`). */
export const CLI_MAIN = join(REPO_ROOT, 'packages', 'cli', 'src', 'main.ts');
export const TSX_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

/** Where `up` and the other commands keep state: --data-dir, else PEFT_LAB_HOME, else <repo>/.peft-lab. */
export function peftLabHome(dataDir?: string): string {
  return resolve(dataDir ?? workerEnv().PEFT_LAB_HOME ?? join(REPO_ROOT, '.peft-lab'));
}

/** A file argument's text. @throws CliInputError naming the argument when it cannot be read. */
export function readInputFile(field: string, path: string): string {
  if (!existsSync(path)) throw new CliInputError(field, path, 'no such file');
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliInputError(field, path, `cannot be read (${(err as Error).message})`);
  }
}

/** A positive integer option. */
export function positiveInt(field: string, raw: string | number | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CliInputError(field, raw, 'must be an integer ≥ 1');
  return n;
}
