// Shared by the tests that compare with Hugging Face peft (not a test file itself): finds a Python
// with torch, transformers and peft — PEFT_LAB_PYTHON, else <repo>/.venv-ref/bin/python (which .ci/run
// installs from pip's local wheels), else python3 — and runs scripts on it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineEnv } from '../env.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const python = engineEnv().PEFT_LAB_PYTHON ?? (existsSync(join(REPO, '.venv-ref/bin/python')) ? join(REPO, '.venv-ref/bin/python') : 'python3');
const probe = spawnSync(python, ['-c', 'import torch, transformers, peft; print(peft.__version__)'], { encoding: 'utf8' });
/** Whether `python` imports torch, transformers and peft. */
export const pythonPeftAvailable = probe.status === 0;
export const pythonPeftVersion = probe.stdout?.trim() ?? '';

/** Warns once per test file that its Python comparisons are skipped. */
export function warnIfNoPythonPeft(what: string): void {
  if (!pythonPeftAvailable) console.warn(`${what} skipped: ${python} cannot import torch, transformers and peft`);
}

/**
 * Runs `script` with `python`, passing `input` as JSON in a file (argv[1]) and reading the JSON the
 * script writes to argv[2]. Throws with Python's stderr when it fails.
 */
export function runPythonJson<T>(script: string, input: unknown): T {
  const dir = mkdtempSync(join(tmpdir(), 'peft-ref-'));
  const inFile = join(dir, 'in.json');
  const outFile = join(dir, 'out.json');
  try {
    writeFileSync(inFile, JSON.stringify(input));
    const r = spawnSync(python, ['-c', script, inFile, outFile], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
    return JSON.parse(readFileSync(outFile, 'utf8')) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
