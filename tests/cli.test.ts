// The `peft-lab` command as users run it (child processes) against a real embedded PostgreSQL.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@peft-lab/db/testing';
import { GPT2_TINY_DIR, registerTinyFixtures, tinySpamJsonl, tinySpec } from './helpers/worker-fixtures';
import { REPO, runCli } from './helpers/run-cli';
import { BUILTIN_MODEL_DIR } from '@peft-lab/data/catalog';
import { copyFixture, reshapeTensor, shardCheckpoint } from './helpers/checkpoint-fixtures';

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
    expect(unknownTask.stderr).toMatch(/task\.json: task: unknown task "no-such-task" \(built-in: spam, .*; imported: .*tiny-spam/);
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
    expect(Object.keys(r.methods)).toEqual(['full', 'lora', 'adapter', 'prefix', 'prompt', 'ia3']);
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
    expect(unsupported.stderr).toContain(`DIR "${t5}": unsupported config: model_type="t5" (supported: gpt2, bert, llama, qwen2, qwen3, mistral, gemma, phi3, roberta, distilbert)`);
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

describe('peft-lab model add / list / inspect (the base-model registry)', () => {
  const host = hostname();
  /** Every BaseModel row, as text: a refused `model add` must leave it as it was. */
  const registry = async () => JSON.stringify(await t.db.baseModel.findMany({ orderBy: { name: 'asc' } }), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  let llamaDir = '';

  it('registers checkpoint directories (default name = basename; a sharded one too) with family, parameters, dtype, bytes, path and host', async () => {
    // gpt2-tiny is registered already (by the fixtures, without the new columns): the same directory refreshes the row.
    const again = await runCli(['model', 'add', GPT2_TINY_DIR], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^updated gpt2-tiny: gpt2 \(gpt2, causal-lm\), 133,888 parameters \(0\.13 M\), F32, [\d.]+ KiB on disk$/m);
    expect(again.stdout).toContain(`  ${GPT2_TINY_DIR} on host ${host}`);
    const gpt2 = await t.db.baseModel.findUniqueOrThrow({ where: { name: 'gpt2-tiny' } });
    expect(gpt2).toMatchObject({ family: 'gpt2', source: 'hf_dir', location: GPT2_TINY_DIR, parameterCount: 133_888n, dtype: 'F32', host });
    expect(Number(gpt2.bytesOnDisk)).toBeGreaterThan(133_888 * 4);
    expect((gpt2.config as { model_type: string }).model_type).toBe('gpt2');

    llamaDir = copyFixture('llama-tiny', join(dir, 'llama-tiny'));
    const llama = await runCli(['model', 'add', llamaDir, '--json'], env);
    expect(llama.code, llama.stderr).toBe(0);
    expect(JSON.parse(llama.stdout)).toMatchObject({ action: 'created', name: 'llama-tiny', family: 'llama', modelType: 'llama', parameterCount: 121_152, dtype: 'F32', location: llamaDir, host });

    const sharded = copyFixture('gpt2-tiny', join(dir, 'gpt2-sharded'));
    shardCheckpoint(sharded);
    const r = await runCli(['model', 'add', sharded, '--name', 'gpt2-two-shards'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^registered gpt2-two-shards: gpt2 \(gpt2, causal-lm\), 133,888 parameters/m);
    expect((await t.db.baseModel.findUniqueOrThrow({ where: { name: 'gpt2-two-shards' } })).location).toBe(sharded);
  }, 180_000);

  it('model list prints the table and JSON', async () => {
    const table = await runCli(['model', 'list'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^name\s+family\s+params\s+dtype\s+path\s+host$/m);
    expect(table.stdout).toMatch(new RegExp(`^gpt2-tiny\\s+gpt2\\s+0\\.13 M\\s+F32\\s+${GPT2_TINY_DIR}\\s+${host}$`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^llama-tiny\\s+llama\\s+0\\.12 M\\s+F32\\s+${llamaDir}\\s+${host}$`, 'm'));
    expect(table.stdout).toMatch(/^gpt2-two-shards\s+gpt2\s+0\.13 M\s+F32\s/m);
    const json = await runCli(['model', 'list', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(rows.map((m) => m.name)).toEqual(['gpt2-tiny', 'gpt2-two-shards', 'llama-tiny']);
    expect(rows[2]).toMatchObject({ family: 'llama', source: 'hf_dir', parameterCount: 121_152, dtype: 'F32', location: llamaDir, host });
    expect(rows[2].bytesOnDisk).toBeGreaterThan(121_152 * 4);
  }, 120_000);

  it('model inspect takes a registered name: family, parameters, dtype on disk and the memory estimate', async () => {
    const r = await runCli(['model', 'inspect', 'llama-tiny', '--batch', '2', '--seq', '16'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`llama-tiny (${llamaDir} on host ${host}): llama (causal-lm), 121,152 parameters (0.1 M)`);
    expect(r.stdout).toMatch(/^family llama, dtype on disk F32, [\d.]+ KiB on disk$/m);
    expect(r.stdout).toContain('estimated training memory at batch 2 × 16 tokens');
    for (const method of ['full', 'lora', 'adapter', 'prefix', 'prompt']) expect(r.stdout).toMatch(new RegExp(`^${method}\\s+[\\d,]+\\s`, 'm'));
    const json = JSON.parse((await runCli(['model', 'inspect', 'llama-tiny', '--json'], env)).stdout);
    expect(json).toMatchObject({ model: llamaDir, registered: { name: 'llama-tiny', host, location: llamaDir }, family: 'llama', parameterCount: 121_152, dtype: 'F32' });
    expect(json.methods.full.trainableParams).toBe(121_152);
    // A directory still works as before, and says its dtype too.
    const byDir = await runCli(['model', 'inspect', GPT2_TINY_DIR]);
    expect(byDir.stdout).toMatch(/^family gpt2, dtype on disk F32, /m);

    const unknown = await runCli(['model', 'inspect', 'no-such-model'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('MODEL "no-such-model": no such directory, and no base model of that name is registered');
    // Registered here, then gone: the path and the host are named.
    const gone = copyFixture('gpt2-tiny', join(dir, 'gpt2-gone'));
    expect((await runCli(['model', 'add', gone], env)).code).toBe(0);
    rmSync(gone, { recursive: true });
    const missing = await runCli(['model', 'inspect', 'gpt2-gone'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`MODEL "gpt2-gone": registered at ${gone} on host ${host}, but ${gone} does not exist on host ${host}`);
  }, 180_000);

  it('refuses a name registered for another directory unless --force', async () => {
    const other = copyFixture('llama-tiny', join(dir, 'llama-other'));
    const before = await registry();
    const refused = await runCli(['model', 'add', other, '--name', 'llama-tiny'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`name "llama-tiny" is already registered for ${llamaDir} on host ${host}; register ${other} under another --name, or pass --force to replace it`);
    expect(await registry()).toBe(before);
    const reserved = await runCli(['model', 'add', other, '--name', 'builtin'], env);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toContain('--name "builtin": reserved for the packaged model');
    const slash = await runCli(['model', 'add', other, '--name', 'a/b'], env);
    expect(slash.code).toBe(2);
    expect(slash.stderr).toContain('--name "a/b": must start with a letter or digit');
    expect(await registry()).toBe(before);

    const forced = await runCli(['model', 'add', other, '--name', 'llama-tiny', '--force'], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(`replaced llama-tiny (was ${llamaDir} on host ${host}): llama`);
    expect((await t.db.baseModel.findUniqueOrThrow({ where: { name: 'llama-tiny' } })).location).toBe(other);
    llamaDir = other;
  }, 180_000);

  it('bad checkpoints exit 2 naming the file (and the tensor), and register nothing', async () => {
    const noConfig = join(dir, 'bad-no-config');
    copyFixture('gpt2-tiny', noConfig);
    unlinkSync(join(noConfig, 'config.json'));
    const t5 = copyFixture('gpt2-tiny', join(dir, 'bad-t5'));
    writeFileSync(join(t5, 'config.json'), JSON.stringify({ model_type: 't5', d_model: 64 }));
    const lostShard = copyFixture('gpt2-tiny', join(dir, 'bad-lost-shard'));
    const [, second] = shardCheckpoint(lostShard);
    unlinkSync(join(lostShard, second));
    const reshaped = copyFixture('gpt2-tiny', join(dir, 'bad-shape'));
    reshapeTensor(reshaped, 'transformer.h.1.mlp.c_fc.weight', [256, 64]);
    const noTokenizer = copyFixture('gpt2-tiny', join(dir, 'bad-no-tokenizer'));
    unlinkSync(join(noTokenizer, 'tokenizer.json'));

    const cases: [string, string[], string[]][] = [
      ['no config.json', [noConfig], [`${join(noConfig, 'config.json')}: is missing (not a Hugging Face model directory)`]],
      ['unsupported model_type', [t5], [`${join(t5, 'config.json')}: unsupported config: model_type="t5"`]],
      ['a shard named in the index is missing', [lostShard], [
        `${join(lostShard, 'model.safetensors.index.json')}: names shard ${second} (for tensor transformer.`,
        `but ${join(lostShard, second)} does not exist`]],
      ['a tensor shape the config does not imply', [reshaped], [
        `${join(reshaped, 'model.safetensors')}: tensor transformer.h.1.mlp.c_fc.weight has shape [256, 64], but config.json implies [64, 256]`]],
      ['no tokenizer.json', [noTokenizer, '--name', 'named-anyway'], [`${join(noTokenizer, 'tokenizer.json')}: is missing`]],
      ['not a directory', [join(dir, 'nowhere')], [`DIR "${join(dir, 'nowhere')}": no such directory`]],
    ];
    const before = await registry();
    for (const [what, args, messages] of cases) {
      const r = await runCli(['model', 'add', ...args], env);
      expect(r.code, `${what}: ${r.stdout}${r.stderr}`).toBe(2);
      for (const m of messages) expect(r.stderr, what).toContain(m);
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(await registry(), what).toBe(before);
    }
  }, 300_000);

  it('sweep run on a registered model (registered by model add) runs its trials on it', async () => {
    const spec = write('run-llama.json', { ...tinySpec('cli-llama', [{ method: 'lora', space: { r: 2 } }], { maxSteps: 4, evalEvery: 2 }), baseModel: 'llama-tiny' });
    const r = await runCli(['sweep', 'run', spec, '--lease-ms', '5000', '--no-progress'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sweep completed: 2 completed, 0 failed/);
    const sweep = await t.db.sweep.findFirstOrThrow({ where: { name: 'cli-llama' }, include: { baseModel: true, trials: { orderBy: { index: 'asc' } } } });
    expect(sweep.baseModel).toMatchObject({ name: 'llama-tiny', family: 'llama', location: llamaDir });
    expect(sweep.trials.map((x) => x.status)).toEqual(['completed', 'completed']);
    // The full trial trains llama-tiny's weights without its untied LM head (400 × 64) plus a 2-label score head
    // (gpt2-tiny would be 134,016); the LoRA trial adds its adapters to that.
    const [full, lora] = sweep.trials.map((x) => x.measurements as { totalParams: number });
    expect(sweep.trials.map((x) => x.method)).toEqual(['full', 'lora']);
    expect(full.totalParams).toBe(121_152 - 400 * 64 + 64 * 2);
    expect(lora.totalParams).toBeGreaterThan(full.totalParams);
  }, 300_000);
});

describe('peft-lab as the ecosystem expects it: npx, exit codes, validation lines', () => {
  it('npx peft-lab --help works from the repository root (the bin entry)', async () => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('npx', ['--no-install', 'peft-lab', '--help'], { cwd: REPO, env: { ...process.env, npm_config_update_notifier: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: peft-lab /m);
    for (const command of ['up', 'worker', 'sweep', 'export', 'train', 'model', 'data', 'pretrain']) expect(r.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  }, 180_000);

  it('train --set takes every training parameter a sweep takes (maxSeqLen reaches the run)', async () => {
    const task = write('set.jsonl', tinySpamJsonl(20));
    // The memory check runs with the run's settings: maxSeqLen 16 shows as 16 tokens per example.
    const limited = await runCli(['train', '--model', GPT2_TINY_DIR, '--task', task, '--method', 'lora', '--set', 'maxSeqLen=16', '--set', 'batchSize=2', '--steps', '2', '--out', join(dir, 'set-oom'), '--backend', 'cpu'],
      { PEFT_LAB_MEMORY_LIMIT_BYTES: '1000000' });
    expect(limited.code, limited.stderr).toBe(1);
    expect(limited.stderr).toContain('at batch 2 × 16 tokens needs an estimated');
    const out = join(dir, 'set-ok');
    const r = await runCli(['train', '--model', GPT2_TINY_DIR, '--task', task, '--method', 'lora', '--backend', 'cpu', '--out', out,
      '--set', 'maxSeqLen=16', '--set', 'maxSteps=3', '--set', 'lr=0.003', '--set', 'warmupRatio=0.1', '--set', 'weightDecay=0', '--set', 'gradClip=0.5',
      '--set', 'evalEvery=3', '--set', 'pooling=mean', '--set', 'gradientCheckpointing=false', '--set', 'r=2', '--set', 'latencyRuns=0']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'completed', steps: 3, method: 'lora', pooling: 'mean', config: { r: 2 } });
    // epochs: passes over the training split (18 of the 20 examples at batch 6: 3 steps an epoch).
    const epochs = await runCli(['train', '--model', GPT2_TINY_DIR, '--task', task, '--method', 'lora', '--backend', 'cpu', '--out', join(dir, 'set-epochs'),
      '--set', 'epochs=2', '--set', 'batchSize=6', '--set', 'maxSeqLen=16', '--set', 'latencyRuns=0']);
    expect(epochs.code, epochs.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'set-epochs', 'summary.json'), 'utf8')).steps).toBe(6);
  }, 180_000);

  it('prints every validation error as path: rule lines (exit 2), never a zod issue dump', async () => {
    const task = write('bad-set.jsonl', tinySpamJsonl(20));
    const cases: [string[], string[]][] = [
      [['--set', 'maxSeqLen=0', '--set', 'batchSize=1.5', '--set', 'pooling=max'],
        ['--set maxSeqLen: must be an integer ≥ 1 (got 0)', '--set batchSize: must be an integer ≥ 1 (got 1.5)', '--set pooling: must be one of last, mean (got max)']],
      [['--set', 'epochs=1', '--set', 'maxSteps=2'], ['--set epochs: give exactly one of epochs or maxSteps (got both)']],
      [['--set', 'r=0'], ['--set r: ']],
      [['--set', 'nosuch=1'], ['--set nosuch: not a known setting']],
    ];
    for (const [args, lines] of cases) {
      const r = await runCli(['train', '--model', GPT2_TINY_DIR, '--task', task, '--method', 'lora', '--backend', 'cpu', '--steps', '1', '--out', join(dir, 'bad-set'), ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      const printed = r.stderr.split('\n').filter((l) => l.trim() && !/^(WARNING|I0000|E0000)/.test(l) && !l.includes('oneDNN'));
      expect(printed, args.join(' ')).toHaveLength(lines.length);
      lines.forEach((line, i) => expect(printed[i].replace(/^peft-lab: /, ''), args.join(' ')).toContain(line));
      expect(r.stderr).not.toMatch(/"code":|"path":|^\s*\[\s*$/m);
    }
    expect(readdirSync(dir)).not.toContain('bad-set');
  }, 180_000);

  it('names a bad environment variable and its rule (exit 2)', async () => {
    const r = await runCli(['sweep', 'status', '00000000-0000-4000-8000-000000000000'], { ...env, PEFT_LAB_LOG_LEVEL: 'loud' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('peft-lab: PEFT_LAB_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")');
  }, 60_000);

  it('sweep run exits 1 when the sweep ends failed', async () => {
    const spec = write('fails.json', tinySpec('cli-fails', [{ method: 'lora', space: { r: 2, targetModules: [['no_such_module']] } }], { maxSteps: 2 }, { baseline: 'none' }));
    const r = await runCli(['sweep', 'run', spec, '--lease-ms', '5000', '--no-progress'], env);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/sweep failed: 0 completed, 1 failed/);
    expect(r.stderr).toMatch(/peft-lab: sweep [0-9a-f-]{36} failed: none of its 1 trials completed \(1 failed, 0 pruned, 0 cancelled\)/);
    expect((await t.db.sweep.findFirstOrThrow({ where: { name: 'cli-fails' } })).status).toBe('failed');
  }, 180_000);

  it('data import uses the text and label columns when they are there and none is given', async () => {
    const file = write('defaults.csv', ['label,text,extra', ...tinySpamJsonl(20).trim().split('\n').map((l) => { const o = JSON.parse(l); return `${o.label},${o.text},x`; })].join('\n'));
    const r = await runCli(['data', 'import', file, '--name', 'cli-defaults', '--kind', 'sequence-classification'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('imported cli-defaults (sequence-classification, text column "text", label column "label")');
    const row = await t.db.dataset.findUniqueOrThrow({ where: { name: 'cli-defaults' } });
    expect(row.labels).toEqual(['ham', 'spam']);
    expect(row.importOptions).toMatchObject({ textColumn: 'text', labelColumn: 'label' });
    // Without such a column, the flag is needed and the file's columns are named.
    const other = write('no-text.jsonl', ['a', 'b', 'c', 'd'].map((body, i) => JSON.stringify({ body, label: i % 2 ? 'x' : 'y' })).join('\n') + '\n');
    const missing = await runCli(['data', 'import', other, '--name', 'cli-no-text', '--kind', 'causal-lm'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--text-column: not given, and ${other} has columns "body", "label" but no "text"`);
    const noLabel = await runCli(['data', 'import', other, '--name', 'cli-no-label', '--kind', 'sequence-classification', '--text-column', 'body'], env);
    expect(noLabel.code, noLabel.stderr).toBe(0); // "label" is there
    const bad = await runCli(['data', 'import', write('empty-text.jsonl', '{"text": "", "label": "a"}\n{"text": "b", "label": "a"}\n'), '--name', 'cli-bad', '--kind', 'causal-lm'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/empty-text\.jsonl: row 1: text column "text" is empty/);
  }, 180_000);

  it('model logits takes --model builtin, as train does', async () => {
    const r = await runCli(['model', 'logits', '--model', 'builtin', '--text', 'Call me Ishmael.', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.input_ids.length).toBeGreaterThan(2);
    expect(out.logits).toHaveLength(out.input_ids.length);
    const byDir = JSON.parse((await runCli(['model', 'logits', '--model', BUILTIN_MODEL_DIR, '--text', 'Call me Ishmael.', '--json'])).stdout);
    expect(out).toEqual(byDir);
  }, 180_000);
});
