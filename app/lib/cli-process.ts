// The dashboard runs engine work (TensorFlow.js) in child processes of the CLI, never in its own
// process (next.config.ts keeps TensorFlow out of the build): `node --import tsx packages/cli/src/main.ts …`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const CLI_MAIN = join('packages', 'cli', 'src', 'main.ts');

/** The repository root, found from the dashboard's working directory (app/ under `next start`); null if none is above it. */
export function findRepoRoot(from = process.cwd()): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, CLI_MAIN))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** What `spawn(process.execPath, …)` takes to run `peft-lab <args>` from `root`, with extra `--import` modules first. */
export function cliNodeArgs(root: string, args: readonly string[], imports: readonly string[] = []): string[] {
  return ['--import', 'tsx', ...imports.flatMap((m) => ['--import', m]), join(root, CLI_MAIN), ...args];
}

