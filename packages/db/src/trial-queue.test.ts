import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSweepWithTrials } from './queries';
import { LeaseLostError, TrialFinishedError } from './errors';
import { TrialQueue, type TrialLease } from './queue/trial-queue';
import { isFinished } from './trial-state';
import { createTestDatabase, type TestDatabase } from './testing';

let t: TestDatabase;
let queue: TrialQueue;
beforeAll(async () => {
  t = await createTestDatabase();
  queue = new TrialQueue(t.db);
});
afterAll(() => t?.cleanup());

const trials = (n: number, extra: object = {}) =>
  Array.from({ length: n }, (_, i) => ({ method: i % 2 ? 'lora' : 'full', hyperparameters: { r: i % 8 }, seed: i, ...extra }));

async function newSweep(n: number, opts: { maxParallel?: number; maxAttempts?: number } = {}) {
  const { sweep, trialIds } = await createSweepWithTrials(
    t.db,
    { name: `s${Math.random()}`, spec: {}, task: 'spam', maxParallel: opts.maxParallel },
    trials(n, opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
  );
  return { sweepId: sweep.id, trialIds };
}

async function drain() {
  // Leave no claimable trial behind for the next test.
  await t.db.trial.updateMany({ where: { status: { in: ['queued', 'running'] } }, data: { status: 'cancelled' } });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Short leases that still outlive a few queries on a loaded 2-core CI machine
// (50 ms leases expired between two statements there).
const SHORT_LEASE_MS = 1500;
const PAST_SHORT_LEASE_MS = 1700;

describe('TrialQueue', () => {
  // A failed test must not leave claimable trials for the next one.
  beforeEach(drain);

  it('32 concurrent claimers over 2,000 trials claim each exactly once', async () => {
    const { sweepId, trialIds } = await newSweep(2000);
    const claimed: string[] = [];
    const claimer = async (w: number) => {
      for (;;) {
        const lease = await queue.claimNextTrial(`w${w}`, 60_000);
        if (!lease) {
          // null is also a lost race: stop only when nothing is queued any more.
          if ((await t.db.trial.count({ where: { sweepId, status: 'queued' } })) === 0) return;
          continue;
        }
        claimed.push(lease.trialId);
      }
    };
    await Promise.all(Array.from({ length: 32 }, (_, w) => claimer(w)));
    expect(claimed.length).toBe(2000);
    expect(new Set(claimed).size).toBe(2000);
    expect(new Set(claimed)).toEqual(new Set(trialIds));
    expect(await t.db.trial.count({ where: { sweepId, status: 'running' } })).toBe(2000);
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweepId } })).status).toBe('running');
    await drain();
  });

  it('claims in priority order, then by index', async () => {
    const { sweepId } = await newSweep(3);
    const [hi] = await queue.enqueueTrials(sweepId, [{ method: 'lora', hyperparameters: {}, seed: 9, priority: 5 }]);
    expect((await queue.claimNextTrial('w', 1000))!.trialId).toBe(hi);
    expect((await queue.claimNextTrial('w', 1000))!.trial.index).toBe(0);
    await drain();
  });

  it('never runs more than maxParallel trials of a sweep', async () => {
    const { sweepId } = await newSweep(20, { maxParallel: 3 });
    const leases = (await Promise.all(Array.from({ length: 10 }, (_, i) => queue.claimNextTrial(`w${i}`, 60_000)))).filter(Boolean) as TrialLease[];
    expect(leases.length).toBe(3);
    expect(await queue.claimNextTrial('late', 60_000)).toBeNull();
    await queue.completeTrial(leases[0], { accuracy: 0.9 });
    const next = await queue.claimNextTrial('late', 60_000);
    expect(next?.sweepId).toBe(sweepId);
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweepId } })).runningCount).toBe(3);
    await drain();
  });

  it('requeues an expired lease with attempt + 1 and fails it after maxAttempts', async () => {
    const { trialIds } = await newSweep(1, { maxAttempts: 2 });
    const first = (await queue.claimNextTrial('w1', SHORT_LEASE_MS))!;
    await queue.recordCheckpoint(first, 10, { location: '/ckpt/10', bytes: 123, sha256: 'a'.repeat(64) });
    await sleep(PAST_SHORT_LEASE_MS);
    expect(await queue.requeueExpiredLeases()).toEqual({ requeued: trialIds, failed: [], cancelled: [] });
    const second = (await queue.claimNextTrial('w2', SHORT_LEASE_MS))!;
    expect(second.trialId).toBe(trialIds[0]);
    expect(second.trial.attempt).toBe(1);
    expect(second.trial.lastCheckpointStep).toBe(10);
    expect(second.trial.lastCheckpointRef).toBe('/ckpt/10');
    // The first worker's lease is dead even though the trial runs again.
    await expect(queue.heartbeat(first)).rejects.toBeInstanceOf(LeaseLostError);
    await sleep(PAST_SHORT_LEASE_MS);
    expect((await queue.requeueExpiredLeases()).failed).toEqual(trialIds);
    const row = await t.db.trial.findUniqueOrThrow({ where: { id: trialIds[0] } });
    expect(row.status).toBe('failed');
    expect(row.attempt).toBe(2);
    expect(row.error).toBe('lease expired 2 times');
    expect(await queue.claimNextTrial('w3', SHORT_LEASE_MS)).toBeNull();
  });

  it('requeueExpiredLeases honours an explicit now', async () => {
    await newSweep(1);
    const lease = (await queue.claimNextTrial('w', 60_000))!;
    expect((await queue.requeueExpiredLeases(new Date(Date.now() - 1000))).requeued).toEqual([]);
    expect((await queue.requeueExpiredLeases(new Date(Date.now() + 120_000))).requeued).toEqual([lease.trialId]);
    await drain();
  });

  it('refuses metric writes and completion on a lost lease, and stores nothing', async () => {
    await newSweep(1);
    const lease = (await queue.claimNextTrial('w1', SHORT_LEASE_MS))!;
    await sleep(PAST_SHORT_LEASE_MS);
    // Expired but not yet requeued: still refused.
    await expect(queue.writeMetricPoints(lease, [{ name: 'loss', step: 1, value: 1 }])).rejects.toBeInstanceOf(LeaseLostError);
    await queue.requeueExpiredLeases();
    const thief = (await queue.claimNextTrial('w2', 60_000))!;
    expect(thief.trialId).toBe(lease.trialId);
    await expect(queue.writeMetricPoints(lease, [{ name: 'loss', step: 2, value: 1 }])).rejects.toThrow(/claimed since by w2/);
    await expect(queue.completeTrial(lease, { accuracy: 1 })).rejects.toBeInstanceOf(LeaseLostError);
    await expect(queue.failTrial(lease, 'x')).rejects.toBeInstanceOf(LeaseLostError);
    await expect(queue.releaseLease(lease)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await t.db.metricPoint.count({ where: { trialId: lease.trialId } })).toBe(0);
    // The same worker claiming again gets a new token: its old lease object stays dead.
    await queue.releaseLease(thief);
    const again = (await queue.claimNextTrial('w1', 60_000))!;
    expect(again.token).not.toBe(lease.token);
    await expect(queue.heartbeat(lease)).rejects.toBeInstanceOf(LeaseLostError);
    await queue.completeTrial(again, { accuracy: 0.5 }, { peakBytes: 1 }, 'cpu');
    // Finished trials are frozen.
    await expect(queue.writeMetricPoints(again, [{ name: 'loss', step: 3, value: 1 }])).rejects.toBeInstanceOf(TrialFinishedError);
    await expect(queue.completeTrial(again, {})).rejects.toBeInstanceOf(TrialFinishedError);
    await expect(queue.cancelTrial(again.trialId)).rejects.toBeInstanceOf(TrialFinishedError);
    const row = await t.db.trial.findUniqueOrThrow({ where: { id: again.trialId } });
    expect(isFinished(row.status)).toBe(true);
    expect(row).toMatchObject({ status: 'completed', summary: { accuracy: 0.5 }, backend: 'cpu', attempt: 1 });
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: row.sweepId } })).status).toBe('completed');
  });

  it('releaseLease hands a trial back without counting an attempt', async () => {
    await newSweep(1);
    const lease = (await queue.claimNextTrial('w', 60_000))!;
    await queue.releaseLease(lease, { step: 40, ref: '/ckpt/40' });
    const again = (await queue.claimNextTrial('w', 60_000))!;
    expect(again.trialId).toBe(lease.trialId);
    expect(again.trial).toMatchObject({ attempt: 0, lastCheckpointStep: 40, lastCheckpointRef: '/ckpt/40' });
    await drain();
  });

  it('cancellation: queued trials cancel at once, running ones see it in heartbeat', async () => {
    const { sweepId } = await newSweep(3);
    const lease = (await queue.claimNextTrial('w', 60_000))!;
    expect(await queue.heartbeat(lease, { step: 5, total: 100 })).toMatchObject({ cancelRequested: false });
    expect(await queue.cancelSweep(sweepId)).toEqual({ cancelled: 2, signalled: 1 });
    expect(await queue.claimNextTrial('w2', 60_000)).toBeNull();
    expect((await queue.heartbeat(lease)).cancelRequested).toBe(true);
    await queue.markCancelled(lease);
    const rows = await t.db.trial.findMany({ where: { sweepId } });
    expect(rows.map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(rows.find((r) => r.id === lease.trialId)!.progressStep).toBe(5);
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweepId } })).status).toBe('cancelled');
  });

  it('cancelTrial on a running trial is seen by heartbeat', async () => {
    await newSweep(2);
    const lease = (await queue.claimNextTrial('w', 60_000))!;
    expect(await queue.cancelTrial(lease.trialId)).toEqual({ status: 'running' });
    expect((await queue.heartbeat(lease)).cancelRequested).toBe(true);
    await drain();
  });

  it('metric writes are idempotent: the same points twice are stored once', async () => {
    await newSweep(1);
    const lease = (await queue.claimNextTrial('w', 60_000))!;
    const points = Array.from({ length: 7000 }, (_, i) => ({ name: i % 2 ? 'train/loss' : 'eval/accuracy', step: i, value: i / 10 }));
    expect(await queue.writeMetricPoints(lease, points)).toBe(7000);
    expect(await queue.writeMetricPoints(lease, points)).toBe(0);
    expect(await queue.writeMetricPoints(lease, [{ name: 'train/loss', step: 1, value: 99 }, { name: 'nan', step: 0, value: Number.NaN }])).toBe(1);
    expect(await t.db.metricPoint.count({ where: { trialId: lease.trialId } })).toBe(7001);
    const p = await t.db.metricPoint.findFirstOrThrow({ where: { trialId: lease.trialId, name: 'train/loss', step: 1 } });
    expect(p.value).toBeCloseTo(0.1); // the first write wins
    await expect(queue.writeMetricPoints(lease, [{ name: '', step: -1, value: 1 }])).rejects.toThrow(/points\[0\]\.name/);
    await drain();
  });

  it('resume writes go through the lease guard: points past a step are deleted, artifacts stored, nothing once the lease is lost', async () => {
    await newSweep(1);
    const lease = (await queue.claimNextTrial('w1', SHORT_LEASE_MS))!;
    await queue.writeMetricPoints(lease, Array.from({ length: 10 }, (_, step) => ({ name: 'train/loss', step, value: step })));
    expect(await queue.deleteMetricPointsAfter(lease, 6)).toBe(3);
    expect((await t.db.metricPoint.findMany({ where: { trialId: lease.trialId }, orderBy: { step: 'asc' } })).map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const a = await queue.storeArtifact(lease, { kind: 'checkpoint', file: 'checkpoint.safetensors', content: new Uint8Array([1, 2, 3]), step: 6, asCheckpoint: true });
    expect((await t.db.trial.findUniqueOrThrow({ where: { id: lease.trialId } })).lastCheckpointRef).toBe(a.location);
    await expect(queue.deleteMetricPointsAfter(lease, -1)).rejects.toThrow(/step/);
    await sleep(PAST_SHORT_LEASE_MS);
    await expect(queue.deleteMetricPointsAfter(lease, 0)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(queue.storeArtifact(lease, { kind: 'adapter', file: 'a.json', content: new Uint8Array([1]) })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await t.db.metricPoint.count({ where: { trialId: lease.trialId } })).toBe(7);
    expect(await t.db.artifact.count({ where: { trialId: lease.trialId } })).toBe(1);
    await queue.requeueExpiredLeases();
    const again = (await queue.claimNextTrial('w2', 60_000))!;
    await queue.completeTrial(again, {});
    await expect(queue.deleteMetricPointsAfter(again, 0)).rejects.toBeInstanceOf(TrialFinishedError);
  });

  it('registers workers and their heartbeats', async () => {
    const w = await queue.registerWorker({ id: 'host-1:42', host: 'host-1', pid: 42, backend: 'wasm' });
    await sleep(5);
    await queue.workerHeartbeat(w.id);
    const row = await t.db.worker.findUniqueOrThrow({ where: { id: w.id } });
    expect(row.lastHeartbeat.getTime()).toBeGreaterThan(w.lastHeartbeat.getTime());
    await expect(queue.workerHeartbeat('nobody')).rejects.toThrow(/worker "nobody" not found/);
  });
});
