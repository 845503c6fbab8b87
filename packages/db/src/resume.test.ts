import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidFieldError, NotFoundError, SweepStateError } from './errors';
import { TrialQueue } from './queue/trial-queue';
import { resumeSweep, sweepResumeState } from './resume';
import { submitSweep } from './sweep-submission';
import { createTestDatabase, type TestDatabase } from './testing';

let t: TestDatabase;
let queue: TrialQueue;
beforeAll(async () => {
  t = await createTestDatabase();
  queue = new TrialQueue(t.db);
});
afterAll(() => t?.cleanup());

// Leave nothing claimable for the next test: each test's claims must come from its own sweep.
beforeEach(async () => {
  await t.db.trial.updateMany({ where: { status: { in: ['queued', 'running'] } }, data: { status: 'cancelled' } });
});

// The baseline plus lora r 2, 4, 8: four trials.
const GRID = `
name: g
task: spam
training: { maxSteps: 5 }
methods: [{ method: lora, space: { r: [2, 4, 8] } }]
`;
const TPE = (maxTrials: number) => `
name: a
task: spam
training: { maxSteps: 5, lr: { min: 1.0e-4, max: 1.0e-2, scale: log } }
methods: [{ method: lora, space: { r: [2, 4, 8, 16] } }]
strategy: { type: tpe, seed: 3, startupTrials: 3 }
budget: { maxTrials: ${maxTrials} }
`;

/** Claims and finishes every claimable trial with `finish(index)`; returns how many ran. */
async function runAll(finish: (index: number) => 'complete' | 'prune' | 'fail' | 'cancel'): Promise<number> {
  let n = 0;
  for (let lease = await queue.claimNextTrial('w', 60_000); lease; lease = await queue.claimNextTrial('w', 60_000)) {
    const what = finish(lease.trial.index);
    if (what === 'complete') await queue.completeTrial(lease, { eval_accuracy: 0.5 + lease.trial.index / 100 });
    else if (what === 'prune') await queue.pruneTrial(lease, 'worse than median', { eval_accuracy: 0.1 });
    else if (what === 'fail') await queue.failTrial(lease, 'Error: out of memory');
    else {
      await queue.cancelTrial(lease.trialId);
      await queue.markCancelled(lease);
    }
    n++;
  }
  return n;
}

async function snapshot(sweepId: string) {
  return t.db.trial.findMany({ where: { sweepId }, orderBy: { index: 'asc' } });
}

describe('resumeSweep', () => {
  it('re-queues exactly the failed and cancelled trials as new rows and keeps the old ones as they were', async () => {
    const { sweep } = await submitSweep(t.db, GRID, { skipResourceCheck: true });
    const plan = ['complete', 'prune', 'fail', 'cancel'] as const;
    expect(await runAll((i) => plan[i])).toBe(4);
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('completed');
    const before = await snapshot(sweep.id);
    expect(await sweepResumeState(t.db, sweep.id)).toEqual({ resumable: true, retryable: 2, trials: 4, adaptive: false, maxTrials: null });

    const r = await resumeSweep(t.db, sweep.id);
    expect(r.status).toBe('queued');
    expect(r.requeued.map((x) => [x.index, x.retryOfIndex])).toEqual([[4, 2], [5, 3]]);
    const after = await snapshot(sweep.id);
    // the old rows: byte for byte what they were
    expect(after.slice(0, 4)).toEqual(before);
    for (const [i, retried] of [[4, 2], [5, 3]]) {
      const row = after[i];
      expect(row).toMatchObject({ status: 'queued', retryOfId: before[retried].id, method: before[retried].method, seed: before[retried].seed, attempt: 0, summary: null, error: null });
      expect(row.hyperparameters).toEqual(before[retried].hyperparameters);
    }
    const s = await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } });
    expect(s).toMatchObject({ status: 'queued', finishedAt: null });
    expect((await sweepResumeState(t.db, sweep.id)).resumable).toBe(false);

    // the retries run like any trial; the sweep finishes again, the originals still untouched
    expect(await runAll(() => 'complete')).toBe(2);
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('completed');
    expect((await snapshot(sweep.id)).slice(0, 4)).toEqual(before);
    // nothing left: the failed rows have their retries
    await expect(resumeSweep(t.db, sweep.id)).rejects.toThrow(/^sweep: nothing to resume/);
  });

  it('a retry that fails again is retried at the next resume, not its original', async () => {
    const { sweep } = await submitSweep(t.db, GRID, { skipResourceCheck: true });
    await runAll((i) => (i === 1 ? 'fail' : 'complete'));
    const first = await resumeSweep(t.db, sweep.id);
    await runAll(() => 'fail');
    const second = await resumeSweep(t.db, sweep.id);
    expect(second.requeued).toEqual([{ id: expect.any(String), index: 5, retryOf: first.requeued[0].id, retryOfIndex: 4 }]);
  });

  it('two resumes at once: one re-queues, the other waits for its lock and is refused', async () => {
    const { sweep } = await submitSweep(t.db, GRID, { skipResourceCheck: true });
    await runAll((i) => (i % 2 ? 'fail' : 'complete'));
    const results = await Promise.allSettled([resumeSweep(t.db, sweep.id), resumeSweep(t.db, sweep.id)]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    expect((ok[0] as PromiseFulfilledResult<{ requeued: unknown[] }>).value.requeued).toHaveLength(2);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(SweepStateError);
    expect(await t.db.trial.count({ where: { sweepId: sweep.id } })).toBe(6);
  });

  it('an adaptive sweep raised from 6 to 10 trials goes on to 10', async () => {
    const { sweep } = await submitSweep(t.db, TPE(6), { skipResourceCheck: true });
    expect(await runAll(() => 'complete')).toBe(6);
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('completed');
    await expect(resumeSweep(t.db, sweep.id)).rejects.toThrow('sweep: nothing to resume');
    expect(await sweepResumeState(t.db, sweep.id)).toMatchObject({ resumable: true, retryable: 0, trials: 6, adaptive: true, maxTrials: 6 });

    const r = await resumeSweep(t.db, sweep.id, { maxTrials: 10 });
    expect(r).toMatchObject({ status: 'running', requeued: [], maxTrials: { from: 6, to: 10 } });
    const s = await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } });
    expect(s.status).toBe('running');
    expect((s.spec as { budget: { maxTrials: number } }).budget.maxTrials).toBe(10);
    expect(await runAll(() => 'complete')).toBe(4);
    const rows = await snapshot(sweep.id);
    expect(rows.map((x) => x.index)).toEqual([...Array(10).keys()]);
    expect(new Set(rows.map((x) => (x.hyperparameters as { configKey: string }).configKey)).size).toBe(10);
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('completed');
  });

  it('bad input: clear field: message errors, nothing changed', async () => {
    await expect(resumeSweep(t.db, 'no-such-sweep')).rejects.toBeInstanceOf(NotFoundError);

    const { sweep: running } = await submitSweep(t.db, GRID, { skipResourceCheck: true });
    const err = await resumeSweep(t.db, running.id).catch((e) => e);
    expect(err).toBeInstanceOf(SweepStateError);
    expect(err.message).toMatch(/^status: sweep .* is queued; only a completed, failed or cancelled sweep can be resumed/);

    // cancelled while a trial still runs: refused until it has stopped
    const lease = (await queue.claimNextTrial('w', 60_000))!;
    await queue.cancelSweep(running.id);
    await expect(resumeSweep(t.db, running.id)).rejects.toThrow(/^status: .* 1 of its trials are still queued or running/);
    await queue.markCancelled(lease);
    // grid sweeps have no budget to raise
    await expect(resumeSweep(t.db, running.id, { maxTrials: 9 })).rejects.toThrow(/^maxTrials: only an adaptive sweep \(strategy tpe\)/);
    const r = await resumeSweep(t.db, running.id);
    expect(r.requeued).toHaveLength(4);
    await runAll(() => 'complete');

    const { sweep: a } = await submitSweep(t.db, TPE(4), { skipResourceCheck: true });
    await runAll(() => 'complete');
    const before = await t.db.sweep.findUniqueOrThrow({ where: { id: a.id } });
    const rowsBefore = await snapshot(a.id);
    for (const [maxTrials, message] of [
      [4, 'maxTrials: must be greater than the 4 trials sweep'],
      [3, 'maxTrials: must be greater than the 4 trials sweep'],
      [4.5, 'maxTrials: must be a positive integer (got 4.5)'],
      ['ten', 'maxTrials: must be a positive integer (got "ten")'],
    ] as const) {
      const e = await resumeSweep(t.db, a.id, { maxTrials: maxTrials as number }).catch((x) => x);
      expect(e).toBeInstanceOf(InvalidFieldError);
      expect(e.message).toContain(message);
    }
    expect(await t.db.sweep.findUniqueOrThrow({ where: { id: a.id } })).toEqual(before);
    expect(await snapshot(a.id)).toEqual(rowsBefore);
  });
});
