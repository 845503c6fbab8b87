// Slow (not in `npm test`; `npm run test:slow`, a few minutes, ~6 GB of RAM): the issue's
// case for real. One full fine-tuning trial of a GPT-2 with the 124 M-parameter shape
// (12 layers, 768 wide, 50,257-token vocabulary; random weights, the tiny fixture's
// tokenizer) run by the CLI worker with the default 64 MiB chunks: its checkpoint (every
// weight and both AdamW moments, ≈ 1.5 GB, over PostgreSQL's 1 GB limit for one bytea
// value) is stored, the worker is killed with kill -9 after the first one, and a second
// worker resumes from it (read back chunk by chunk, sha256 checked) and completes the trial.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  applyMigrations, connectDb, DEFAULT_BLOB_CHUNK_BYTES, findFreePort, getPool, loadArtifactContent, startEmbeddedPostgres, submitSweep, TrialQueue, upsertBaseModel,
  type Db, type EmbeddedPostgresHandle,
} from '@peft-lab/db';
import { createModel, deserializeCheckpoint, loadTokenizer, normalizeHfConfig, saveHfModel } from '@peft-lab/engine';
import { CLI, REPO, TSX } from './helpers/run-cli';
import { GPT2_TINY_DIR, registerTinyFixtures, tinySpec } from './helpers/worker-fixtures';

const STEPS = 6; // checkpoints at steps 2 and 4 (none at the last step)
const LEASE_MS = 60_000; // a 124 M step blocks the event loop for seconds
const GiB = 1024 ** 3;
let dir: string;
let server: EmbeddedPostgresHandle;
let db: Db;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peft-lab-124m-'));
  chmodSync(dir, 0o711);
  server = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await findFreePort() });
  await applyMigrations(server.url);
  db = connectDb({ connection: server.url, shared: false, poolSize: 4 });
  await registerTinyFixtures(db);
  // The GPT-2 small shape. The fixture's tokenizer only uses ids < 400: any vocabulary fits it.
  const config = { ...JSON.parse(readFileSync(join(GPT2_TINY_DIR, 'config.json'), 'utf8')), n_embd: 768, n_head: 12, n_layer: 12, n_positions: 1024, vocab_size: 50257 };
  const model = createModel(normalizeHfConfig(config), 'causal-lm', 0);
  saveHfModel(model, loadTokenizer(GPT2_TINY_DIR), join(dir, 'gpt2-124m'));
  model.dispose();
  cpSync(join(GPT2_TINY_DIR, 'tokenizer_config.json'), join(dir, 'gpt2-124m', 'tokenizer_config.json'));
  await upsertBaseModel(db, { name: 'gpt2-124m', family: 'gpt2', source: 'hf_dir', location: join(dir, 'gpt2-124m'), config: {} });
}, 600_000);

afterAll(async () => {
  for (const c of children) try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* gone */ }
  await db?.$disconnect().catch(() => {});
  await server?.stop();
  if (dir && !process.env.PEFT_LAB_KEEP_SLOW) rmSync(dir, { recursive: true, force: true });
});

function startWorker(id: string): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: server.url, PEFT_LAB_LOG_LEVEL: 'debug' };
  delete env.PEFT_LAB_BLOB_CHUNK_BYTES; // the real default
  const child = spawn(TSX, [CLI, 'worker', '--worker-id', id, '--lease-ms', String(LEASE_MS), '--checkpoint-every', '2', '--no-progress', '--log-file', join(dir, `${id}.log`)],
    { cwd: REPO, env, stdio: 'ignore', detached: true });
  children.push(child);
  return child;
}
const logLines = (id: string) => existsSync(join(dir, `${id}.log`))
  ? readFileSync(join(dir, `${id}.log`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 900_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

it('a full fine-tuning trial of a 124 M-parameter GPT-2 stores its 1.5 GB checkpoint, survives kill -9 and resumes from it', async () => {
  const t0 = Date.now();
  const { trialIds: [trialId] } = await submitSweep(db, tinySpec('full-124m', [{ method: 'full' }],
    { maxSteps: STEPS, batchSize: 2, evalEvery: 2, maxSeqLen: 16 }, { baseline: 'none', baseModel: 'gpt2-124m' }));
  const first = startWorker('w-first');

  const ckpt = await waitFor('the first checkpoint', async () => {
    const t = await db.trial.findUniqueOrThrow({ where: { id: trialId } });
    if (t.status !== 'running' && t.status !== 'queued') throw new Error(`trial ${t.status}: ${t.error}`);
    if (!t.lastCheckpointRef) return null;
    return db.artifact.findFirstOrThrow({ where: { location: t.lastCheckpointRef }, include: { blob: true } });
  });
  process.kill(-first.pid!, 'SIGKILL');
  const firstS = (Date.now() - t0) / 1000;
  expect(ckpt.step).toBe(2);
  expect(Number(ckpt.bytes)).toBeGreaterThan(1.3 * GiB); // weights + AdamW m and v: over PostgreSQL's 1 GB
  expect(ckpt.blob!.chunkCount).toBe(Math.ceil(Number(ckpt.bytes) / DEFAULT_BLOB_CHUNK_BYTES));
  const stored = logLines('w-first').filter((l) => l.msg === 'checkpoint stored');
  expect(stored.map((l) => l.step)).toEqual([2]);

  // No need to sit out the dead worker's lease: expire it now, as the clock would.
  expect((await new TrialQueue(db).requeueExpiredLeases(new Date(Date.now() + LEASE_MS + 1000))).requeued).toEqual([trialId]);
  startWorker('w-second');
  const done = await waitFor('the trial to finish', async () => {
    const t = await db.trial.findUniqueOrThrow({ where: { id: trialId } });
    return ['completed', 'failed', 'cancelled', 'pruned'].includes(t.status) && t;
  });
  const totalS = (Date.now() - t0) / 1000;
  expect(`${done.status}:${done.error ?? ''}`).toBe('completed:');
  expect(done.attempt).toBe(1);
  const second = logLines('w-second');
  expect(second.find((l) => l.msg === 'resuming from checkpoint')).toMatchObject({ fromStep: 2, trialId });
  expect(second.filter((l) => l.msg === 'checkpoint stored').map((l) => l.step)).toEqual([4]);
  const { rows } = await getPool(db).query<{ step: number }>(`SELECT "step" FROM "MetricPoint" WHERE "trialId" = $1 AND "name" = 'train/loss' ORDER BY "step"`, [trialId]);
  expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);

  // The last checkpoint reads back whole and is the engine's; the full model was stored too.
  const last = await db.artifact.findFirstOrThrow({ where: { trialId, kind: 'checkpoint' }, include: { blob: true } });
  expect(last.step).toBe(4);
  expect(await getPool(db).query('SELECT 1 FROM "Blob" WHERE "id" = $1', [ckpt.blobId]).then((r) => r.rowCount)).toBe(0); // the superseded one
  const tRead = Date.now();
  const bytes = await loadArtifactContent(db, last.location);
  const readS = (Date.now() - tRead) / 1000;
  const restored = deserializeCheckpoint(bytes);
  expect(restored.step).toBe(4);
  expect(restored.params.size).toBeGreaterThan(100);
  expect(restored.adamV.size).toBe(restored.params.size);
  const model = await db.artifact.findFirstOrThrow({ where: { trialId, kind: 'full_model', location: { endsWith: 'model.safetensors' } }, include: { blob: true } });
  expect(Number(model.bytes)).toBeGreaterThan(400 * 1024 ** 2);
  expect(await db.artifact.count({ where: { trialId, kind: 'checkpoint' } })).toBe(1);
  console.log(JSON.stringify({ full124m: {
    checkpointBytes: Number(last.bytes), checkpointChunks: last.blob!.chunkCount, fullModelBytes: Number(model.bytes),
    firstCheckpointAfterS: firstS, totalS, checkpointReadS: readS,
  } }));
}, 1_800_000);
