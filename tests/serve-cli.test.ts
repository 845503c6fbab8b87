// `peft-lab serve` as a user runs it: bad arguments exit 2 naming them; a started server answers
// with the token and closes on SIGTERM with exit 0.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runCli } from './helpers/run-cli';
import { GPT2_TINY_DIR } from './helpers/worker-fixtures';

const FIXTURES = join(REPO, 'packages/engine/test-fixtures');

describe('peft-lab serve', () => {
  it('exits 2 naming the argument: --best-per-method without --sweep, a malformed --adapter, an adapter for another base model', async () => {
    const noSweep = await runCli(['serve', '--model', GPT2_TINY_DIR, '--best-per-method']);
    expect(noSweep.code).toBe(2);
    expect(noSweep.stderr).toMatch(/--best-per-method: needs --sweep/);
    const malformed = await runCli(['serve', '--model', GPT2_TINY_DIR, '--adapter', 'just-a-name']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--adapter "just-a-name": must be NAME=DIR/);
    const other = await runCli(['serve', '--model', GPT2_TINY_DIR, '--port', '0', '--adapter', `qwen=${join(FIXTURES, 'qwen2-tiny-lora-all')}`]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/adapter "qwen" does not fit the served base model/);
  });

  it('serves a PEFT adapter directory with PEFT_LAB_TOKEN, and SIGTERM closes it (exit 0)', async () => {
    // The bin entry (tsx's loader in-process, as `npx peft-lab` runs it): the signal reaches the command itself.
    const child = spawn(process.execPath, [join(REPO, 'packages/cli/bin/peft-lab.js'), 'serve', '--model', GPT2_TINY_DIR, '--port', '0', '--adapter', `fx=${join(FIXTURES, 'gpt2-tiny-lora')}`], {
      cwd: REPO, env: { ...process.env, PEFT_LAB_TOKEN: 'tok-123' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed:\n${stderr}`)), 90_000);
      child.stderr.on('data', (d) => {
        stderr += d;
        const m = /on (http:\/\/\S+) \(token required\)/.exec(stderr);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}:\n${stderr}`)));
    });
    try {
      expect(stderr).toMatch(/fx: lora, causal-lm/);
      const body = JSON.stringify({ adapter: 'fx', texts: ['hello'], maxNewTokens: 2 });
      expect((await fetch(`${url}/v1/predict`, { method: 'POST', body })).status).toBe(401);
      const ok = await fetch(`${url}/v1/predict`, { method: 'POST', body, headers: { authorization: 'Bearer tok-123' } });
      expect(ok.status).toBe(200);
      expect((await ok.json()).predictions[0].continuationIds).toHaveLength(2);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
