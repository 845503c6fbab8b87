// The `peft-lab` command as users run it (child processes) against a real embedded PostgreSQL.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@peft-lab/db/testing';
import { GPT2_TINY_DIR, registerTinyFixtures, tinySpamJsonl, tinySpec } from './helpers/worker-fixtures';
import { runCli } from './helpers/run-cli';

let t: TestDatabase;
let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  t = await createTestDatabase();
  await registerTinyFixtures(t.db);
  dir = mkdtempSync(join(tmpdir(), 'peft-lab-cli-'));
  env = { DATABASE_URL: t.url };
}, 120_000);
afterAll(async () => {
  await t?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return p;
};

describe('peft-lab CLI', () => {
  it('prints help for every command and exits 0', async () => {
    for (const args of [['--help'], ['sweep', 'run', '--help'], ['worker', '--help'], ['export', '--help'], ['data', 'import', '--help'], ['model', 'inspect', '--help']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: peft-lab/);
    }
  }, 120_000);

  it('exits 2 with the file, path and rule for an invalid sweep spec, and stores nothing', async () => {
    const before = await t.db.sweep.count();
    const file = write('bad.json', tinySpec('bad', [{ method: 'lora', space: { r: 0 } }]));
    const r = await runCli(['sweep', 'create', file], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: methods[0].space.r: must be an integer ≥ 1`);
    expect(await t.db.sweep.count()).toBe(before);
  }, 60_000);

  it('exits 2 for a missing spec file, an unknown task, an unknown sweep id and a bad format', async () => {
    const missing = await runCli(['sweep', 'create', join(dir, 'nope.yaml')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/FILE ".*nope.yaml": no such file/);
    const unknownTask = await runCli(['sweep', 'create', write('task.json', { ...tinySpec('t', [{ method: 'lora' }]), task: 'no-such-task' })], env);
    expect(unknownTask.code).toBe(2);
    expect(unknownTask.stderr).toMatch(/task = "no-such-task": not a built-in task/);
    const status = await runCli(['sweep', 'status', '00000000-0000-4000-8000-000000000000'], env);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/sweep "00000000-0000-4000-8000-000000000000" not found/);
    const format = await runCli(['export', '00000000-0000-4000-8000-000000000000', '--format', 'docx'], env);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format "docx": must be one of csv, json, md, tex, html/);
  }, 120_000);

  it('validates dataset imports: a missing label column exits 2 naming it; a good file registers', async () => {
    const bad = await runCli(['data', 'import', write('d.jsonl', tinySpamJsonl(20)), '--name', 'd', '--kind', 'sequence-classification', '--text-column', 'text', '--label-column', 'stars'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/column "stars" \(labelColumn\) not found/);
    const good = await runCli(['data', 'import', join(dir, 'd.jsonl'), '--name', 'cli-spam', '--kind', 'sequence-classification', '--text-column', 'text', '--label-column', 'label'], env);
    expect(good.code, good.stderr).toBe(0);
    expect((await t.db.dataset.findUniqueOrThrow({ where: { name: 'cli-spam' } })).taskKind).toBe('sequence-classification');
  }, 120_000);

  it('model inspect prints the model and each method\'s estimated training memory, as a table and as JSON', async () => {
    const table = await runCli(['model', 'inspect', GPT2_TINY_DIR, '--batch', '4', '--seq', '32']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(`${GPT2_TINY_DIR}: gpt2 (causal-lm), 133,888 parameters (0.1 M)`);
    expect(table.stdout).toContain('layers 2, d_model 64, heads 4, ffn 256, vocab 400, max positions 128');
    expect(table.stdout).toContain('estimated training memory at batch 4 × 32 tokens');
    expect(table.stdout).toMatch(/^method\s+trainable params\s+weights\s+added params\s+grads \+ AdamW\s+activations\s+checkpoint\s+runtime\s+total\s+fits$/m);
    for (const method of ['full', 'lora', 'adapter', 'prefix', 'prompt']) expect(table.stdout).toMatch(new RegExp(`^${method}\\s+[\\d,]+\\s+523 KiB\\s`, 'm'));
    expect(table.stdout).toMatch(/^full\s+133,888\s/m);
    expect(table.stdout).toMatch(/^lora\s+4,096\s/m);

    const json = await runCli(['model', 'inspect', GPT2_TINY_DIR, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r).toMatchObject({ model: GPT2_TINY_DIR, modelType: 'gpt2', head: 'causal-lm', parameterCount: 133_888, numLayers: 2, dModel: 64, numHeads: 4, vocabSize: 400, batchSize: 8, seqLen: 128 });
    expect(Object.keys(r.methods)).toEqual(['full', 'lora', 'adapter', 'prefix', 'prompt']);
    expect(r.methods.full.trainableParams).toBe(133_888);
    expect(r.methods.lora.trainableParams).toBe(4096);
    for (const m of Object.values(r.methods) as { bytes: Record<string, number> }[]) {
      const b = m.bytes;
      expect(b.weights).toBe(133_888 * 4);
      expect(b.total).toBe(b.weights + b.trainableParams + b.gradientsAndOptimizer + b.activations + b.checkpoint + b.runtime);
    }
    expect(r.methods.full.bytes.total).toBeGreaterThan(r.methods.lora.bytes.total);
    // Larger batches need more.
    const big = JSON.parse((await runCli(['model', 'inspect', GPT2_TINY_DIR, '--json', '--batch', '64'])).stdout);
    expect(big.methods.lora.bytes.activations).toBeGreaterThan(r.methods.lora.bytes.activations);
  }, 120_000);

  it('model inspect exits 2 naming the directory and the problem: missing, no config.json, unsupported model_type', async () => {
    const missing = await runCli(['model', 'inspect', join(dir, 'no-such-model')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`DIR "${join(dir, 'no-such-model')}": no such directory`);
    const empty = join(dir, 'empty-model');
    mkdirSync(empty, { recursive: true });
    const noConfig = await runCli(['model', 'inspect', empty]);
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toContain(`DIR "${empty}": has no config.json`);
    const t5 = join(dir, 't5-model');
    mkdirSync(t5, { recursive: true });
    writeFileSync(join(t5, 'config.json'), JSON.stringify({ model_type: 't5' }));
    const unsupported = await runCli(['model', 'inspect', t5]);
    expect(unsupported.code).toBe(2);
    expect(unsupported.stderr).toContain(`DIR "${t5}": unsupported config: model_type="t5" (supported: gpt2, bert, llama)`);
    const batch = await runCli(['model', 'inspect', GPT2_TINY_DIR, '--batch', '0']);
    expect(batch.code).toBe(2);
    expect(batch.stderr).toContain('--batch "0": must be an integer ≥ 1');
  }, 120_000);

  it('train fails before loading a model that does not fit (PEFT_LAB_MEMORY_LIMIT_BYTES), naming it and both numbers', async () => {
    const out = join(dir, 'train-oom');
    const r = await runCli(['train', '--model', GPT2_TINY_DIR, '--task', write('train.jsonl', tinySpamJsonl(20)), '--method', 'full', '--steps', '2', '--out', out, '--backend', 'cpu'],
      { PEFT_LAB_MEMORY_LIMIT_BYTES: '1000000' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`model ${GPT2_TINY_DIR} (gpt2, 134,016 parameters, 134,016 trainable) does not fit in memory: full fine-tuning at batch 8 × 128 tokens needs an estimated`);
    expect(r.stderr).toContain('but 977 KiB is available (PEFT_LAB_MEMORY_LIMIT_BYTES)');
    expect(readdirSync(dir)).not.toContain('train-oom');
  }, 120_000);

  it('sweep run creates, runs and writes every report format; status and export read it back', async () => {
    const spec = write('run.json', tinySpec('cli-run', [{ method: 'lora', space: { r: [2, 4] } }], { maxSteps: 6, evalEvery: 3 }));
    const out = join(dir, 'report');
    const r = await runCli(['sweep', 'run', spec, '--report', out, '--lease-ms', '5000', '--no-progress'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout, r.stderr).toMatch(/sweep completed: 3 completed/);
    const files = readdirSync(out).sort();
    expect(files.map((f) => f.split('.').pop()).sort()).toEqual(['csv', 'html', 'json', 'md', 'tex']);
    const rows = parseCsv(readFileSync(join(out, files.find((f) => f.endsWith('.csv'))!), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(rows.map((x) => x.method).sort()).toEqual(['full', 'lora', 'lora']);
    expect(rows.every((x) => x.status === 'completed')).toBe(true);
    const json = JSON.parse(readFileSync(join(out, files.find((f) => f.endsWith('.json'))!), 'utf8'));
    expect(json.trials).toHaveLength(3);
    expect(json.trials[1].series['train/loss']).toHaveLength(6);

    const id = json.sweep.id as string;
    const status = await runCli(['sweep', 'status', id, '--json'], env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).counts.completed).toBe(3);
    const md = await runCli(['export', id, '--format', 'md'], env);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('cli-run');
    const cancel = await runCli(['sweep', 'cancel', id], env);
    expect(cancel.code).toBe(0);
  }, 300_000);
});
