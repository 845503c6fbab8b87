import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const TSX = `${REPO}node_modules/.bin/tsx`;
export const CLI = `${REPO}packages/cli/src/main.ts`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `peft-lab …` as a child process (the real entry, as a user runs it). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [CLI, ...args], { cwd: REPO, env: { ...process.env, PEFT_LAB_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`peft-lab ${args.join(' ')} timed out\n${stderr}`)); }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
