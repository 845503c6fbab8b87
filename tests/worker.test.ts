// The worker end to end on a real embedded PostgreSQL and real (tiny) engine training.
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { TrialQueue, getPool, loadArtifactContent, submitSweep } from '@peft-lab/db';
import { createTestDatabase, type TestDatabase } from '@peft-lab/db/testing';
import { registerBaseModel, runWorker, silentLogger } from '@peft-lab/worker';
import { computeBackendLabel } from '@peft-lab/engine';
import { GPT2_TINY_DIR, registerTinyFixtures, tinySpec } from './helpers/worker-fixtures';
import { copyFixture } from './helpers/checkpoint-fixtures';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await registerTinyFixtures(t.db);
}, 120_000);
afterAll(() => t?.cleanup());

const baseOptions = { leaseMs: 3_000, progress: 'off' as const, handleSignals: false, pollMs: 200 };

async function steps(trialId: string, name: string): Promise<number[]> {
  const { rows } = await getPool(t.db).query<{ step: number }>(
    `SELECT "step" FROM "MetricPoint" WHERE "trialId" = $1 AND "name" = $2 ORDER BY "step"`, [trialId, name]);
  return rows.map((r) => r.step);
}
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** A pino logger whose lines land in an array (to see what the worker did). */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  return { log: pino({ level: 'info' }, stream), lines };
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('runWorker', () => {
  it('runs a sweep of full + lora + prefix trials to completion with metrics, summaries and artifacts', async () => {
    const { sweep, trialIds } = await submitSweep(t.db, tinySpec('worker-e2e', [
      { method: 'lora', space: { r: 2 } },
      { method: 'prefix', space: { prefixLength: 4, reparameterize: false } },
    ]));
    expect(trialIds).toHaveLength(3);
    const { log, lines } = capturingLogger();
    const summary = await runWorker({ db: t.db, once: true, log, ...baseOptions });
    expect(summary.outcomes.completed).toBe(3);
    // Full fine-tuning loads its own copy; the prefix trial borrows the base the LoRA trial read.
    expect(lines.filter((l) => l.msg === 'trial prepared').map((l) => l.reusedBaseWeights)).toEqual([false, false, true]);

    const trials = await t.db.trial.findMany({ where: { sweepId: sweep.id }, orderBy: { index: 'asc' } });
    expect(trials.map((x) => x.method)).toEqual(['full', 'lora', 'prefix']);
    for (const trial of trials) {
      expect(trial.status, `${trial.method}: ${trial.error}`).toBe('completed');
      // The backend line says which path ran: e.g. tensorflow+peft-kernels with our fused kernels.
      expect(trial.backend).toBe(computeBackendLabel());
      expect(trial.backend!.startsWith(summary.backend.name)).toBe(true);
      const s = trial.summary as Record<string, number>;
      expect(s.steps).toBe(10);
      expect(s.eval_accuracy).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(s.final_loss)).toBe(true);
      const m = trial.measurements as Record<string, number>;
      expect(m.trainableParams).toBeGreaterThan(0);
      expect(m.totalParams).toBeGreaterThanOrEqual(m.trainableParams);
      expect(m.tokensPerSec).toBeGreaterThan(0);
      expect(m.latencyMsBatch1).toBeGreaterThan(0);
      // Timed interleaved with the base model in the same trial: the ratios and their quartiles.
      expect(m.latencyRatioBatch1).toBeGreaterThan(0);
      expect(m.latencyRatioBatch8).toBeGreaterThan(0);
      expect(m.latencyRatioBatch1Q1).toBeLessThanOrEqual(m.latencyRatioBatch1);
      expect(m.latencyRatioBatch1Q3).toBeGreaterThanOrEqual(m.latencyRatioBatch1);
      expect(m.latencyBaseMsBatch1).toBeGreaterThan(0);
      // A classifier on the built-in GPT-2 is scored through its tied LM head.
      expect(Number.isFinite(m.forgettingLoss), `${trial.method}: ${(m as Record<string, unknown>).forgettingNote}`).toBe(true);
      expect(m.forgettingAdaptedLoss - m.forgettingBaseLoss).toBeCloseTo(m.forgettingLoss, 10);
      expect(await steps(trial.id, 'train/loss')).toEqual(range(1, 10));
      expect(await steps(trial.id, 'train/lr')).toEqual(range(1, 10));
      expect(await steps(trial.id, 'eval/accuracy')).toEqual([5, 10]);
    }
    const [full, lora, prefix] = trials.map((x) => x.measurements as Record<string, number>);
    expect(lora.latencyMergedRatioBatch1).toBeGreaterThan(0);
    expect(prefix.latencyMergedRatioBatch1 ?? null).toBeNull();
    // All three measured the base on the same sample before training.
    expect(lora.forgettingBaseLoss).toBe(full.forgettingBaseLoss);
    expect(prefix.forgettingBaseLoss).toBe(full.forgettingBaseLoss);
    expect(full.trainablePercent).toBeCloseTo(100, 5);
    // Each trial's own peak (buffers counted once), although full fine-tuning ran first in this process.
    expect(lora.peakBytes).toBeLessThan(full.peakBytes);
    expect(prefix.peakBytes).toBeLessThan(full.peakBytes);
    expect(lora.trainablePercent).toBeLessThan(full.trainablePercent);
    expect(prefix.trainablePercent).toBeLessThan(full.trainablePercent);

    const loraArtifacts = await t.db.artifact.findMany({ where: { trialId: trials[1].id, kind: 'adapter' } });
    expect(loraArtifacts.map((a) => a.location.split('/').pop()).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const config = loraArtifacts.find((a) => a.location.endsWith('adapter_config.json'))!;
    expect(JSON.parse(Buffer.from(await loadArtifactContent(t.db, config.location)).toString('utf8'))).toMatchObject({ peft_type: 'LORA', r: 2 });
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('completed');
  }, 180_000);

  it('trains a classifier with the pooling the trial asks for (last token or mean)', async () => {
    const { sweep } = await submitSweep(t.db, tinySpec('worker-pooling', [{ method: 'full' }], { pooling: ['last', 'mean'] }, { baseline: 'none' }));
    const summary = await runWorker({ db: t.db, once: true, log: silentLogger(), ...baseOptions });
    expect(summary.outcomes.completed).toBe(2);
    const trials = await t.db.trial.findMany({ where: { sweepId: sweep.id }, orderBy: { index: 'asc' } });
    expect(trials.map((x) => (x.hyperparameters as { training: { pooling: string } }).training.pooling)).toEqual(['last', 'mean']);
    // Same seed, data and weights: only the pooling differs, so the very first loss must too.
    const firstLoss = async (trialId: string) => (await getPool(t.db).query<{ value: number }>(
      `SELECT "value" FROM "MetricPoint" WHERE "trialId" = $1 AND "name" = 'train/loss' AND "step" = 1`, [trialId])).rows[0].value;
    const [last, mean] = await Promise.all(trials.map((x) => firstLoss(x.id)));
    expect(Math.abs(last - mean)).toBeGreaterThan(1e-4);
  }, 180_000);

  it('fails a trial whose model would not fit in memory before loading it, naming the model, its size and both numbers', async () => {
    const { sweep } = await submitSweep(t.db, tinySpec('worker-memory', [{ method: 'lora', space: { r: 2 } }]));
    const before = process.env.PEFT_LAB_MEMORY_LIMIT_BYTES;
    process.env.PEFT_LAB_MEMORY_LIMIT_BYTES = '1000000';
    let summary;
    try {
      summary = await runWorker({ db: t.db, once: true, log: silentLogger(), ...baseOptions });
    } finally {
      if (before === undefined) delete process.env.PEFT_LAB_MEMORY_LIMIT_BYTES;
      else process.env.PEFT_LAB_MEMORY_LIMIT_BYTES = before;
    }
    expect(summary.outcomes.failed).toBe(2);
    const trials = await t.db.trial.findMany({ where: { sweepId: sweep.id }, orderBy: { index: 'asc' } });
    expect(trials.map((x) => [x.method, x.status])).toEqual([['full', 'failed'], ['lora', 'failed']]);
    for (const trial of trials) {
      expect(trial.error).toContain(`InsufficientMemoryError: model gpt2-tiny (${GPT2_TINY_DIR}) (gpt2, 134,016 parameters`);
      expect(trial.error).toMatch(/needs an estimated \d+(\.\d+)? MiB .* but 977 KiB is available \(PEFT_LAB_MEMORY_LIMIT_BYTES\)/);
      expect(trial.error).toContain(trial.method === 'full' ? 'full fine-tuning at batch 4 × 16 tokens' : 'LoRA at batch 4 × 16 tokens');
      expect(await steps(trial.id, 'train/loss')).toEqual([]);
    }
  }, 120_000);

  it('fails the trials of a registered model whose directory is not on this host, naming the path and both hosts', async () => {
    // Registered (checked) on "host-a", whose disk holds it; this worker's host does not have the path.
    const scratch = mkdtempSync(join(tmpdir(), 'peft-lab-worker-model-'));
    const modelDir = copyFixture('gpt2-tiny', join(scratch, 'gpt2-elsewhere'));
    const { model } = await registerBaseModel(t.db, { dir: modelDir });
    await t.db.baseModel.update({ where: { id: model.id }, data: { host: 'host-a' } });
    rmSync(scratch, { recursive: true });
    // Submission needs only the row (the sweep may run on host-a's workers)…
    const { sweep } = await submitSweep(t.db, { ...tinySpec('worker-elsewhere', [{ method: 'lora', space: { r: 2 } }]), baseModel: 'gpt2-elsewhere' });
    expect(sweep.baseModelId).toBe(model.id);
    // …the worker here fails each trial before loading anything.
    const summary = await runWorker({ db: t.db, once: true, log: silentLogger(), ...baseOptions });
    expect(summary.outcomes.failed).toBe(2);
    const trials = await t.db.trial.findMany({ where: { sweepId: sweep.id }, orderBy: { index: 'asc' } });
    for (const trial of trials) {
      expect(trial.status).toBe('failed');
      expect(trial.error).toBe(`BaseModelUnavailableError: base model "gpt2-elsewhere": ${modelDir} does not exist on host ${hostname()} (registered on host-a)`);
      expect(await steps(trial.id, 'train/loss')).toEqual([]);
    }
  }, 120_000);

  it('stops a running trial when it is cancelled', async () => {
    const { sweep, trialIds } = await submitSweep(t.db, tinySpec('worker-cancel', [{ method: 'full' }], { maxSteps: 400, evalEvery: 50 }));
    const abort = new AbortController();
    const worker = runWorker({ db: t.db, log: silentLogger(), signal: abort.signal, measureLatency: false, ...baseOptions, stopWhen: async () => {
      const s = await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } });
      return ['completed', 'failed', 'cancelled'].includes(s.status);
    } });
    await waitFor('training to start', async () => (await steps(trialIds[0], 'train/loss')).length >= 3);
    await new TrialQueue(t.db).cancelTrial(trialIds[0]);
    const result = await worker;
    const trial = await t.db.trial.findUniqueOrThrow({ where: { id: trialIds[0] } });
    expect(trial.status).toBe('cancelled');
    expect(result.outcomes.cancelled).toBe(1);
    const done = await steps(trial.id, 'train/loss');
    expect(done.length).toBeLessThan(400);
    expect(done).toEqual(range(1, done.length));
  }, 180_000);

  it('resumes a trial whose worker lost its lease from the last checkpoint on another worker', async () => {
    const { trialIds } = await submitSweep(t.db, tinySpec('worker-resume', [{ method: 'full' }], { maxSteps: 60, evalEvery: 10 }));
    const id = trialIds[0];
    const abortA = new AbortController();
    const a = capturingLogger();
    const workerA = runWorker({ db: t.db, workerId: 'worker-a', log: a.log, signal: abortA.signal, checkpointEvery: 4, measureLatency: false, ...baseOptions });
    const checkpointStep = await waitFor('a checkpoint', async () => {
      const tr = await t.db.trial.findUniqueOrThrow({ where: { id } });
      return (tr.lastCheckpointStep ?? 0) >= 8 && tr.lastCheckpointStep;
    });
    // Worker A "dies": its lease runs out under it (as if it had hung), and it stops.
    await getPool(t.db).query(`UPDATE "Trial" SET "leaseExpiresAt" = now() - interval '1 second' WHERE "id" = $1`, [id]);
    abortA.abort();
    const ra = await workerA;
    expect(ra.outcomes, JSON.stringify(a.lines.map((l) => l.msg))).toMatchObject({ lost: 1 });
    expect(a.lines.some((l) => String(l.msg).startsWith('lease lost'))).toBe(true);
    const stored = await t.db.trial.findUniqueOrThrow({ where: { id } });
    expect(['running', 'queued']).toContain(stored.status); // A's own requeue timer may already have returned it
    const resumeStep = stored.lastCheckpointStep!;
    expect(resumeStep).toBeGreaterThanOrEqual(checkpointStep);

    const b = capturingLogger();
    const rb = await runWorker({ db: t.db, workerId: 'worker-b', log: b.log, once: true, checkpointEvery: 4, measureLatency: false, ...baseOptions, pollMs: 500,
      stopWhen: async () => (await t.db.trial.findUniqueOrThrow({ where: { id } })).status === 'completed' });
    expect(rb.outcomes.completed).toBe(1);
    const done = await t.db.trial.findUniqueOrThrow({ where: { id } });
    expect(done.status).toBe('completed');
    expect(done.attempt).toBe(1);
    expect(done.leaseOwner).toBe('worker-b');
    expect(b.lines.find((l) => l.msg === 'resuming from checkpoint')?.fromStep).toBe(resumeStep);
    expect(await steps(id, 'train/loss')).toEqual(range(1, 60));
    expect(await steps(id, 'eval/accuracy')).toEqual([10, 20, 30, 40, 50, 60]);
    expect((done.summary as Record<string, number>).steps).toBe(60);
  }, 180_000);
});
