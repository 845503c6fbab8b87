// Adaptive (tpe) sweeps in the queue, on a real PostgreSQL: trials suggested at claim time,
// created already claimed under the sweep's lock (queue/adaptive.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDb, getPool, type Db } from './client';
import { reserveSuggestedTrial } from './queue/adaptive';
import { inTransaction } from './queue/insert-trials';
import { TrialQueue, type TrialLease } from './queue/trial-queue';
import { submitSweep } from './sweep-submission';
import { createTestDatabase, type TestDatabase } from './testing';

let t: TestDatabase;
let queue: TrialQueue;
beforeAll(async () => {
  t = await createTestDatabase({ poolSize: 8, settings: { max_connections: 200 } });
  queue = new TrialQueue(t.db);
});
afterAll(() => t?.cleanup());

// Leave no open sweep or claimable trial for the next test.
beforeEach(async () => {
  await t.db.trial.updateMany({ where: { status: { in: ['queued', 'running'] } }, data: { status: 'cancelled' } });
  await t.db.sweep.updateMany({ where: { status: { in: ['queued', 'running'] } }, data: { status: 'cancelled' } });
});

/** A tpe sweep over a large space (LoRA r × alpha × lr, continuous), objective accuracy (spam). */
function tpeSpec(maxTrials: number, extra: { maxParallel?: number; startupTrials?: number; space?: object } = {}) {
  return {
    name: `tpe-${Math.random()}`,
    task: 'spam',
    training: { maxSteps: 3, lr: { min: 1e-5, max: 1e-2, scale: 'log' } },
    methods: [
      { method: 'lora', space: extra.space ?? { r: [2, 4, 8, 16], alpha: [4, 8, 16, 32] } },
      { method: 'full' },
    ],
    strategy: { type: 'tpe', seed: 11, startupTrials: extra.startupTrials ?? 4 },
    budget: { maxTrials, ...(extra.maxParallel ? { maxParallel: extra.maxParallel } : {}) },
  };
}

/** An accuracy the suggestion can be judged by: higher for larger lr (any deterministic function of the trial). */
const accuracyOf = (lease: TrialLease) => {
  const hp = lease.trial.hyperparameters as { training?: { lr?: number } };
  return 1 + Math.log10(hp.training?.lr ?? 1e-3) / 10;
};

describe('adaptive sweeps', () => {
  it('submission stores no trials and leaves the sweep queued', async () => {
    const { sweep, trialIds } = await submitSweep(t.db, tpeSpec(5), { skipResourceCheck: true });
    expect(trialIds).toEqual([]);
    expect(sweep.status).toBe('queued');
    expect(await t.db.trial.count({ where: { sweepId: sweep.id } })).toBe(0);
  });

  it('claims suggest one trial at a time up to maxTrials; the sweep then completes', async () => {
    const { sweep } = await submitSweep(t.db, tpeSpec(5), { skipResourceCheck: true });
    for (let i = 0; i < 5; i++) {
      const lease = await queue.claimNextTrial('w1', 60_000);
      expect(lease?.sweepId).toBe(sweep.id);
      expect(lease!.trial.index).toBe(i);
      expect(lease!.trial.status).toBe('running');
      expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('running');
      await queue.completeTrial(lease!, { eval_accuracy: accuracyOf(lease!) });
      const s = await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } });
      expect(s.status).toBe(i < 4 ? 'running' : 'completed');
    }
    expect(await queue.claimNextTrial('w1', 60_000)).toBeNull();
    const rows = await t.db.trial.findMany({ where: { sweepId: sweep.id }, orderBy: { index: 'asc' } });
    expect(rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(rows.map((r) => (r.hyperparameters as { configKey: string }).configKey)).size).toBe(5);
    // The startup trials: one per method entry in order (the full baseline among them).
    expect(rows.slice(0, 2).map((r) => r.method)).toEqual(['lora', 'full']);
  });

  it('a sweep whose every trial failed ends failed', async () => {
    const { sweep } = await submitSweep(t.db, tpeSpec(3, { startupTrials: 2 }), { skipResourceCheck: true });
    for (let i = 0; i < 3; i++) await queue.failTrial((await queue.claimNextTrial('w1', 60_000))!, 'boom');
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('failed');
  });

  it('a finite space tried out before maxTrials finishes the sweep when its last trial finishes', async () => {
    // LoRA r ∈ {4, 8} plus the added full fine-tuning baseline: 3 configurations, maxTrials 10.
    const spec = { ...tpeSpec(10, { startupTrials: 1 }), training: { maxSteps: 3 }, methods: [{ method: 'lora', space: { r: [4, 8] } }] };
    const { sweep } = await submitSweep(t.db, spec, { skipResourceCheck: true });
    const leases = [];
    for (let w = 0; w < 3; w++) leases.push((await queue.claimNextTrial(`w${w}`, 60_000))!);
    expect(new Set(leases.map((l) => l.trial.index))).toEqual(new Set([0, 1, 2]));
    expect(await queue.claimNextTrial('w9', 60_000)).toBeNull(); // every configuration running: nothing to suggest
    await queue.completeTrial(leases[0], { eval_accuracy: 0.5 });
    await queue.failTrial(leases[1], 'boom');
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('running');
    await queue.completeTrial(leases[2], { eval_accuracy: 0.6 });
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('completed');
    expect(await t.db.trial.count({ where: { sweepId: sweep.id } })).toBe(3);
  });

  it('reserveSuggestedTrial: ask-and-tell reservations, busy at maxParallel, finished when spent', async () => {
    const { sweep } = await submitSweep(t.db, tpeSpec(2, { maxParallel: 1, startupTrials: 1 }), { skipResourceCheck: true });
    const pool = getPool(t.db);
    const reserve = () => inTransaction(pool, (c) => reserveSuggestedTrial(c, sweep.id, 'ask:test', 60_000));
    const first = await reserve();
    expect(first.status).toBe('reserved');
    expect(await reserve()).toEqual({ status: 'busy', reason: 'max-parallel' });
    if (first.status !== 'reserved') return;
    expect(first.trial.leaseOwner).toBe('ask:test');
    const lease: TrialLease = { trialId: first.trial.id, sweepId: sweep.id, workerId: 'ask:test', token: first.trial.leaseToken!, leaseMs: 60_000, expiresAt: first.trial.leaseExpiresAt!, trial: first.trial };
    await queue.completeTrial(lease, { eval_accuracy: 0.7 });
    const second = await reserve();
    expect(second.status === 'reserved' && second.trial.index).toBe(1);
    expect(await reserve()).toEqual({ status: 'busy', reason: 'max-parallel' });
  });
});
