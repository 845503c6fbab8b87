// A trial's merged checkpoint is written by `peft-lab export ID --format merged --out DIR` in a
// child process, not in this one: merging runs the engine (TensorFlow.js), which the dashboard's
// build must never bundle or load (next.config.ts). The CLI runs under tsx (`node --import tsx`).
import { spawn } from 'node:child_process';
import { cliNodeArgs, findRepoRoot } from '../cli-process';
import { PeftLabError } from '../errors';

/** Writing a tiny model takes seconds; a real one a few minutes (read, merge, encode, write). */
const WRITE_TIMEOUT_MS = 15 * 60_000;

/**
 * Runs the CLI's merged export of `trialId` into `outDir`.
 * @throws PeftLabError EXPORT_FAILED (a 500) with the end of what the CLI printed
 */
export function writeCheckpointInChild(trialId: string, outDir: string): Promise<void> {
  const root = findRepoRoot();
  if (!root) throw new PeftLabError('EXPORT_FAILED', `export: cannot find packages/cli/src/main.ts above ${process.cwd()}`);
  const child = spawn(process.execPath, cliNodeArgs(root, ['export', trialId, '--format', 'merged', '--out', outDir]), {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString('utf8')).slice(-4000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGTERM'), WRITE_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new PeftLabError('EXPORT_FAILED', `export: could not start peft-lab export (${err.message})`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new PeftLabError('EXPORT_FAILED', `export: peft-lab export ${trialId} --format merged exited (${code ?? signal}):\n${out.trim()}`));
    });
  });
}
