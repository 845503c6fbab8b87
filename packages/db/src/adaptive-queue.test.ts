// Adaptive (tpe) sweeps in the queue, on a real PostgreSQL: trials suggested at claim time,
// created already claimed under the sweep's lock (queue/adaptive.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDb, getPool, type Db } from './client';
import { validateSweepSpec } from '@peft-lab/sweeps';
import type { TrialStatus } from './generated/enums';
import { reserveSuggestedTrial, suggestionHistory } from './queue/adaptive';
import { inTransaction } from './queue/insert-trials';
import { TrialQueue, type TrialLease } from './queue/trial-queue';
import { getSweep } from './queries';
import { listSweeps } from './sweep-list';
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

  it('counts: an open adaptive sweep is planned to budget.maxTrials, a finished one to its trials', async () => {
    const spec = { ...tpeSpec(10, { startupTrials: 1 }), training: { maxSteps: 3 }, methods: [{ method: 'lora', space: { r: [4, 8] } }] };
    const { sweep } = await submitSweep(t.db, spec, { skipResourceCheck: true });
    expect((await getSweep(t.db, sweep.id)).counts).toMatchObject({ total: 0, planned: 10 });
    const lease = (await queue.claimNextTrial('w1', 60_000))!;
    expect((await getSweep(t.db, sweep.id)).counts).toMatchObject({ running: 1, total: 1, planned: 10 });
    const listed = (await listSweeps(t.db, { q: spec.name })).items[0];
    expect(listed.counts).toMatchObject({ running: 1, total: 1, planned: 10 });
    await queue.completeTrial(lease, { eval_accuracy: 0.5 });
    for (let i = 0; i < 2; i++) await queue.completeTrial((await queue.claimNextTrial('w1', 60_000))!, { eval_accuracy: 0.6 });
    // 3 configurations (r 4, r 8, the full baseline): finished early, 3 of 3
    expect((await getSweep(t.db, sweep.id)).counts).toMatchObject({ completed: 3, total: 3, planned: 3 });
    expect((await getSweep(t.db, sweep.id)).status).toBe('completed');
  });

  it('a stored spec the rules refuse stalls its own sweep, not the claim', async () => {
    const broken = await submitSweep(t.db, tpeSpec(5), { skipResourceCheck: true });
    const spec = { ...(broken.spec as object), strategy: { type: 'tpe', seed: 1, startupTrials: 0, candidates: 24 } };
    await t.db.sweep.update({ where: { id: broken.sweep.id }, data: { spec } });
    const good = await submitSweep(t.db, tpeSpec(5), { skipResourceCheck: true });
    const lease = await queue.claimNextTrial('w1', 60_000);
    expect(lease?.sweepId).toBe(good.sweep.id);
    expect(await t.db.trial.count({ where: { sweepId: broken.sweep.id } })).toBe(0);
  });

  it('a suggested trial whose lease expired is requeued and claimed again, not suggested anew', async () => {
    const { sweep } = await submitSweep(t.db, tpeSpec(2, { startupTrials: 1 }), { skipResourceCheck: true });
    const first = (await queue.claimNextTrial('dead', 60_000))!;
    expect((await queue.requeueExpiredLeases(new Date(Date.now() + 120_000))).requeued).toEqual([first.trialId]);
    const again = (await queue.claimNextTrial('w2', 60_000))!;
    expect([again.trialId, again.trial.attempt]).toEqual([first.trialId, 1]);
    const second = (await queue.claimNextTrial('w3', 60_000))!;
    expect(second.trial.index).toBe(1);
    expect(await queue.claimNextTrial('w4', 60_000)).toBeNull(); // budget of 2 taken
    await queue.completeTrial(again, { eval_accuracy: 0.5 });
    await queue.completeTrial(second, { eval_accuracy: 0.6 });
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('completed');
  });

  it('a cancelled adaptive sweep suggests nothing more', async () => {
    const { sweep } = await submitSweep(t.db, tpeSpec(5, { startupTrials: 1 }), { skipResourceCheck: true });
    const lease = (await queue.claimNextTrial('w1', 60_000))!;
    expect(await queue.cancelSweep(sweep.id)).toEqual({ cancelled: 0, signalled: 1 });
    expect(await queue.claimNextTrial('w2', 60_000)).toBeNull();
    await queue.markCancelled(lease);
    const s = await getSweep(t.db, sweep.id);
    expect([s.status, s.counts.total, s.counts.planned]).toEqual(['cancelled', 1, 1]);
  });

  it('suggestionHistory: states, values of every objective, a pruned trial\'s step', () => {
    const spec = validateSweepSpec({ ...tpeSpec(5), objectives: [{ metric: 'accuracy' }, { metric: 'trainable_params' }] });
    const row = (index: number, status: TrialStatus, summary: Record<string, unknown> | null, measurements: Record<string, unknown> | null = null) => ({
      index, method: 'lora', seed: 0, status, summary, measurements,
      hyperparameters: { r: 4, alpha: 8, training: { lr: 1e-3, maxSteps: 3 }, configKey: `k${index}`, isBaseline: false, entry: 0 },
    });
    const h = suggestionHistory(spec, [
      row(0, 'completed', { eval_accuracy: 0.9, steps: 3 }, { trainableParams: 1234 }),
      row(1, 'pruned', { eval_accuracy: 0.4, steps: 2 }),
      row(2, 'failed', { eval_accuracy: 0.8 }),
      row(3, 'cancelled', null),
      row(4, 'queued', null),
      row(5, 'running', null),
    ]);
    expect(h.map((o) => o.state)).toEqual(['completed', 'pruned', 'failed', 'failed', 'running', 'running']);
    expect(h.map((o) => o.values)).toEqual([[0.9, 1234], [0.4, null], [null, null], [null, null], [null, null], [null, null]]);
    expect(h.map((o) => o.value)).toEqual([0.9, 0.4, null, null, null, null]);
    expect(h[1].step).toBe(2);
    expect(h[0].step).toBeUndefined();
    expect(h[0].trial).toEqual({ index: 0, method: 'lora', hyperparameters: { r: 4, alpha: 8 }, training: { lr: 1e-3, maxSteps: 3 }, seed: 0, isBaseline: false, entry: 0, configKey: 'k0' });
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

  describe('32 concurrent claimers, each with its own pool', () => {
    let queues: TrialQueue[] = [];
    let dbs: Db[] = [];
    beforeAll(() => {
      dbs = Array.from({ length: 32 }, () => connectDb({ connection: t.connection, shared: false, poolSize: 2 }));
      queues = dbs.map((db) => new TrialQueue(db));
    });
    afterAll(() => Promise.all(dbs.map((db) => db.$disconnect())));

    /** Every claimer: claim → complete with a value computed from the trial, until the sweep is finished. */
    async function runClaimers(sweepId: string) {
      let held = 0;
      let maxHeld = 0;
      const claimer = async (w: number) => {
        for (;;) {
          const lease = await queues[w].claimNextTrial(`w${w}`, 60_000);
          if (!lease) {
            const { rows } = await getPool(dbs[w]).query<{ status: string }>('SELECT "status" FROM "Sweep" WHERE "id" = $1', [sweepId]);
            if (rows[0].status !== 'queued' && rows[0].status !== 'running') return;
            // a worker waits seconds after an empty claim; a short pause keeps 28 idle claimers from starving the busy ones
            await sleep(20);
            continue;
          }
          maxHeld = Math.max(maxHeld, ++held);
          await sleep(lease.trial.index % 3); // a little training: leases overlap
          held--;
          await queues[w].completeTrial(lease, { eval_accuracy: accuracyOf(lease) });
        }
      };
      await Promise.all(queues.map((_, w) => claimer(w)));
      return { maxHeld };
    }

    /** Most trials of the sweep running at one instant, from their [startedAt, finishedAt) intervals. */
    async function maxOverlap(sweepId: string) {
      const rows = await t.db.trial.findMany({ where: { sweepId }, select: { startedAt: true, finishedAt: true } });
      // at one instant a finish comes before a start: the slot was given back first
      const events = rows.flatMap((r) => [[r.startedAt!.getTime(), 1], [r.finishedAt!.getTime(), -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let running = 0;
      let most = 0;
      for (const [, d] of events) most = Math.max(most, (running += d));
      return most;
    }

    async function checkTrials(sweepId: string, n: number) {
      const rows = await t.db.trial.findMany({ where: { sweepId }, orderBy: { index: 'asc' } });
      expect(rows.length).toBe(n);
      expect(rows.map((r) => r.index)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(new Set(rows.map((r) => (r.hyperparameters as { configKey: string }).configKey)).size).toBe(n);
      expect(rows.every((r) => r.status === 'completed')).toBe(true);
      const sweep = await t.db.sweep.findUniqueOrThrow({ where: { id: sweepId } });
      expect(sweep.status).toBe('completed');
      expect(sweep.runningCount).toBe(0);
    }

    it('maxTrials 200: exactly 200 trials, indices 0..199, no duplicate configuration', async () => {
      const { sweep } = await submitSweep(t.db, tpeSpec(200, { startupTrials: 10 }), { skipResourceCheck: true });
      await runClaimers(sweep.id);
      await checkTrials(sweep.id, 200);
    });

    it('maxTrials 200, maxParallel 4: never more than 4 running', async () => {
      const { sweep } = await submitSweep(t.db, tpeSpec(200, { startupTrials: 10, maxParallel: 4 }), { skipResourceCheck: true });
      const { maxHeld } = await runClaimers(sweep.id);
      await checkTrials(sweep.id, 200);
      expect(maxHeld).toBeLessThanOrEqual(4);
      expect(await maxOverlap(sweep.id)).toBeLessThanOrEqual(4);
    });
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
