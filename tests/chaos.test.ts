// Chaos: real worker processes (the CLI `worker`) killed with SIGKILL mid-trial, and a
// PostgreSQL restart mid-sweep. Every trial must end completed exactly once, with each
// metric step stored once and contiguous, resumed trials continuing from their checkpoint.
// The workers store checkpoints in tiny chunks (PEFT_LAB_BLOB_CHUNK_BYTES), so every kill
// lands on a trial whose checkpoint spans many chunk rows, and many kills land mid-write.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyMigrations, connectDb, findFreePort, getPool, loadArtifactContent, startEmbeddedPostgres, submitSweep, type Db, type EmbeddedPostgresHandle } from '@peft-lab/db';
import { CLI, REPO, TSX } from './helpers/run-cli';
import { registerTinyFixtures, tinySpec } from './helpers/worker-fixtures';

const LEASE_MS = 3_000;
// Small enough that every checkpoint (LoRA r=1: a few KB; full fine-tuning of the tiny model
// with AdamW state: about 1 MB) spans several chunks.
const CHUNK_BYTES = 1024;
const STEPS = 64;
const EVAL_EVERY = 16;
let dir: string;
let port: number;
let server: EmbeddedPostgresHandle;
let db: Db;
const workers = new Map<string, ChildProcess>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peft-lab-chaos-'));
  chmodSync(dir, 0o711);
  port = await findFreePort();
  server = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port });
  await applyMigrations(server.url);
  db = connectDb({ connection: server.url, shared: false, poolSize: 4 });
  await registerTinyFixtures(db);
}, 120_000);

afterAll(async () => {
  for (const w of workers.values()) killGroup(w, 'SIGKILL');
  await db?.$disconnect().catch(() => {});
  await server?.stop();
  // PEFT_LAB_KEEP_CHAOS=1 keeps the worker logs and data for a post-mortem.
  if (dir && !process.env.PEFT_LAB_KEEP_CHAOS) rmSync(dir, { recursive: true, force: true });
  else if (dir) console.log(`chaos dir kept: ${dir}`);
});

// Workers this test has killed: their 'exit' event arrives later, so the ChildProcess
// still looks alive for a while after the SIGKILL.
const killedWorkers = new Set<ChildProcess>();
const alive = (w: ChildProcess | undefined) => Boolean(w && !killedWorkers.has(w) && w.exitCode === null && w.signalCode === null);

function killGroup(w: ChildProcess, sig: NodeJS.Signals) {
  if (sig === 'SIGKILL') killedWorkers.add(w);
  try { process.kill(-w.pid!, sig); } catch { /* gone */ }
}

let nextWorker = 0;
function startWorker(): string {
  const id = `chaos-w${nextWorker++}`;
  // Own process group: SIGKILL must take tsx and the node process it runs, as a crash would.
  const child = spawn(TSX, [CLI, 'worker', '--worker-id', id, '--lease-ms', String(LEASE_MS), '--checkpoint-every', '4', '--no-progress', '--log-file', join(dir, `${id}.log`)],
    { cwd: REPO, env: { ...process.env, DATABASE_URL: server.url, PEFT_LAB_BLOB_CHUNK_BYTES: String(CHUNK_BYTES), PEFT_LAB_LOG_LEVEL: process.env.PEFT_LAB_CHAOS_LOG_LEVEL ?? 'info' }, stdio: 'ignore', detached: true });
  workers.set(id, child);
  return id;
}

function logLines(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const id of workers.keys()) {
    const f = join(dir, `${id}.log`);
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) if (line.trim()) out.push({ ...JSON.parse(line), file: id });
  }
  return out;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 180_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn().catch(() => null); // the database may be restarting
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

it('survives kill -9 of workers and a PostgreSQL restart: every trial completed once, steps contiguous', async () => {
  const t0 = Date.now();
  const { sweep, trialIds } = await submitSweep(db, tinySpec('chaos', [
    { method: 'lora', space: { r: [1, 2, 4, 8] } },
    { method: 'adapter', space: { bottleneck: [4, 8, 16] } },
    { method: 'prefix', space: { prefixLength: [2, 4], reparameterize: false } },
    { method: 'prompt', space: { promptLength: [2, 4] } },
  ], { maxSteps: STEPS, evalEvery: EVAL_EVERY }));
  expect(trialIds.length).toBeGreaterThanOrEqual(12);
  for (let i = 0; i < 3; i++) startWorker();

  // Three times: kill -9 the worker of a trial that has checkpointed and trained past it.
  // The first victim is the full fine-tuning trial: its checkpoint (every weight and both
  // AdamW moments) is the large one.
  const killed: { trialId: string; worker: string; method: string; checkpointStep: number; checkpointChunks: number }[] = [];
  for (let k = 0; k < 3; k++) {
    const victim = await waitFor(`a running ${k === 0 ? 'full fine-tuning ' : ''}trial past its checkpoint (kill ${k + 1})`, async () => {
      const { rows } = await getPool(db).query<{ id: string; leaseOwner: string; method: string; lastCheckpointStep: number; chunks: number }>(
        `SELECT t."id", t."leaseOwner", t."method", t."lastCheckpointStep", b."chunkCount" AS chunks
         FROM "Trial" t JOIN "Artifact" a ON a."location" = t."lastCheckpointRef" JOIN "Blob" b ON b."id" = a."blobId"
         WHERE t."sweepId" = $1 AND t."status" = 'running' AND ($4::text IS NULL OR t."method" = $4)
           AND t."lastCheckpointStep" >= 4 AND t."progressStep" > t."lastCheckpointStep" AND t."progressStep" < $2 AND t."leaseExpiresAt" > now()
           AND NOT (t."id" = ANY($3::text[])) LIMIT 1`, [sweep.id, STEPS - 4, killed.map((x) => x.trialId), k === 0 ? 'full' : null]);
      const r = rows[0];
      return r && alive(workers.get(r.leaseOwner)) ? r : null;
    });
    killGroup(workers.get(victim.leaseOwner)!, 'SIGKILL');
    killed.push({ trialId: victim.id, worker: victim.leaseOwner, method: victim.method, checkpointStep: victim.lastCheckpointStep, checkpointChunks: victim.chunks });
    startWorker();
  }

  // PostgreSQL restart while a live worker is mid-trial, so its heartbeats meet the outage.
  // (Waiting for this matters: replacement workers take seconds to boot, and a restart while
  // every live worker is still booting would test nothing.)
  await waitFor('a live worker mid-trial', async () => {
    const { rows } = await getPool(db).query<{ leaseOwner: string }>(
      `SELECT "leaseOwner" FROM "Trial" WHERE "sweepId" = $1 AND "status" = 'running' AND "progressStep" < $2 AND "leaseExpiresAt" > now()`, [sweep.id, STEPS / 2]);
    return rows.some((r) => alive(workers.get(r.leaseOwner)));
  });
  const restartAt = Date.now();
  await server.stop();
  await new Promise((r) => setTimeout(r, 1_500));
  server = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port });
  const downMs = Date.now() - restartAt;

  await waitFor('the sweep to finish', async () => {
    const s = await db.sweep.findUniqueOrThrow({ where: { id: sweep.id } });
    return ['completed', 'failed', 'cancelled'].includes(s.status) && s;
  }, 300_000);
  const elapsedS = (Date.now() - t0) / 1000;
  for (const w of workers.values()) killGroup(w, 'SIGTERM');
  await Promise.all([...workers.values()].map((w) => (alive(w) ? new Promise((r) => w.once('exit', r)) : null)));

  const trials = await db.trial.findMany({ where: { sweepId: sweep.id }, orderBy: { index: 'asc' } });
  expect(trials.map((t) => `${t.index}:${t.status}:${t.error ?? ''}`)).toEqual(trials.map((t) => `${t.index}:completed:`));

  const lines = logLines();
  for (const t of trials) {
    // Completed exactly once: one "trial completed" line across every worker's log.
    expect(lines.filter((l) => l.msg === 'trial completed' && l.trialId === t.id), `trial ${t.index}`).toHaveLength(1);
    const { rows } = await getPool(db).query<{ step: number }>(`SELECT "step" FROM "MetricPoint" WHERE "trialId" = $1 AND "name" = 'train/loss' ORDER BY "step"`, [t.id]);
    expect(rows.map((r) => r.step), `trial ${t.index} train/loss steps`).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    const evals = await getPool(db).query<{ step: number }>(`SELECT "step" FROM "MetricPoint" WHERE "trialId" = $1 AND "name" = 'eval/accuracy' ORDER BY "step"`, [t.id]);
    expect(evals.rows.map((r) => r.step)).toEqual(Array.from({ length: STEPS / EVAL_EVERY }, (_, i) => (i + 1) * EVAL_EVERY));
  }
  for (const k of killed) {
    const t = trials.find((x) => x.id === k.trialId)!;
    expect(t.attempt, `killed trial ${t.index}`).toBeGreaterThanOrEqual(1);
    const resumed = lines.filter((l) => l.msg === 'resuming from checkpoint' && l.trialId === k.trialId);
    expect(resumed.length, `killed trial ${t.index} resumed`).toBeGreaterThanOrEqual(1);
    expect(resumed[0].fromStep as number).toBeGreaterThanOrEqual(k.checkpointStep);
    expect(resumed[0].file).not.toBe(k.worker);
  }
  // Checkpoints: each trial's last one spans several chunks and reads back whole (sha256
  // checked); the killed trials resumed from multi-chunk ones; nothing abandoned is left over
  // (blobs of writes the kills and the restart cut short were collected).
  const checkpoints: Record<string, { bytes: number; chunks: number }> = {};
  for (const t of trials) {
    const a = await db.artifact.findFirstOrThrow({ where: { trialId: t.id, kind: 'checkpoint' }, include: { blob: true } });
    expect(a.location).toBe(t.lastCheckpointRef);
    expect(await db.artifact.count({ where: { trialId: t.id, kind: 'checkpoint' } }), `trial ${t.index}: one checkpoint kept`).toBe(1);
    const bytes = await loadArtifactContent(db, a.location);
    expect(bytes.byteLength).toBe(Number(a.bytes));
    expect(a.blob!.chunkCount, `trial ${t.index} checkpoint chunks`).toBe(Math.ceil(bytes.byteLength / CHUNK_BYTES));
    expect(a.blob!.chunkCount).toBeGreaterThan(1);
    checkpoints[`${t.index}:${t.method}`] = { bytes: bytes.byteLength, chunks: a.blob!.chunkCount! };
  }
  for (const k of killed) expect(k.checkpointChunks, `killed ${k.method} trial's checkpoint chunks`).toBeGreaterThan(1);
  expect(killed[0].method).toBe('full');
  const orphans = await getPool(db).query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Blob" b WHERE NOT EXISTS (SELECT 1 FROM "Artifact" a WHERE a."blobId" = b."id")
       AND NOT EXISTS (SELECT 1 FROM "Dataset" d WHERE d."blobId" = b."id")`);
  expect(orphans.rows[0].n, 'abandoned blobs').toBe(0);

  // The restart was felt: some worker saw a failed heartbeat, claim or write, and carried on.
  const reconnects = lines.filter((l) => Number(l.level) >= 40 && Number(l.time) >= restartAt).length;
  expect(reconnects).toBeGreaterThan(0);
  console.log(JSON.stringify({ chaos: {
    trials: trials.length, kills: killed.length, chunkBytes: CHUNK_BYTES,
    resumedFrom: killed.map((k) => ({ method: k.method, step: k.checkpointStep, chunks: k.checkpointChunks })),
    checkpoints, workersStarted: workers.size, reconnectLogLines: reconnects, downMs, elapsedS,
  } }));
}, 420_000);
