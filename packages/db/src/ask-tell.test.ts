import { objectiveValue } from '@peft-lab/sweeps';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { askTrial, submitExternalSweep, tellTrial } from './ask-tell';
import { InvalidFieldError, NotFoundError, SweepStateError, TrialFinishedError } from './errors';
import { getSweepObjective } from './objective';
import { sweepReportData } from './report-data';
import { sweepChartRows } from './sweep-charts';
import { TrialQueue } from './queue/trial-queue';
import { resumeSweep } from './resume';
import { submitSweep } from './sweep-submission';
import { createTestDatabase, type TestDatabase } from './testing';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.cleanup());
beforeEach(async () => {
  await t.db.trial.updateMany({ where: { status: { in: ['queued', 'running'] } }, data: { status: 'cancelled' } });
});

const TPE = (maxTrials: number, extra = '') => `
name: external
task: spam
training: { maxSteps: 5, lr: { min: 1.0e-4, max: 1.0e-1, scale: log } }
methods: [{ method: lora, space: { r: [2, 4, 8, 16] } }]
strategy: { type: tpe, seed: 11, startupTrials: ${Math.min(3, maxTrials)} }
budget: { maxTrials: ${maxTrials} }
${extra}`;

/** A planted objective elsewhere: best at lr 1e-2 (log distance). */
const trainElsewhere = (training: Record<string, unknown>) => 1 - Math.abs(Math.log10(training.lr as number) + 2) / 3;

describe('ask and tell', () => {
  it('ask → tell ×N drives a tpe sweep to its maxTrials; the told values are where objectiveValue reads them', async () => {
    const { sweep } = await submitExternalSweep(t.db, TPE(8));
    expect(sweep.external).toBe(true);
    const told: number[] = [];
    for (let i = 0; i < 8; i++) {
      const a = await askTrial(t.db, sweep.id);
      expect(a).toMatchObject({ sweepId: sweep.id, index: i, method: expect.any(String), seed: expect.any(Number), objectives: [{ metric: 'accuracy', direction: 'maximize' }] });
      expect(a.training).toHaveProperty('lr');
      expect(a.hyperparameters).not.toHaveProperty('training');
      const v = trainElsewhere(a.training);
      told.push(v);
      const r = await tellTrial(t.db, sweep.id, a.trialId, { value: String(v) });
      expect(r).toMatchObject({ status: 'completed', values: [v], sweepStatus: i < 7 ? 'running' : 'completed' });
    }
    const rows = await t.db.trial.findMany({ where: { sweepId: sweep.id }, orderBy: { index: 'asc' } });
    expect(rows.map((r) => r.status)).toEqual(Array(8).fill('completed'));
    expect(new Set(rows.map((r) => (r.hyperparameters as { configKey: string }).configKey)).size).toBe(8);
    const objective = await getSweepObjective(t.db, sweep.id);
    expect(rows.map((r) => objectiveValue(objective, r as never))).toEqual(told);
    expect(rows[0].summary).toEqual({ eval_accuracy: told[0] });
    // reports and charts read it as a worker's result
    const report = await sweepReportData(t.db, sweep.id);
    expect(report.objective).toEqual({ metric: 'accuracy', direction: 'maximize' });
    expect(report.trials.map((x) => x.summary?.eval_accuracy)).toEqual(told);
    const charts = await sweepChartRows(t.db, sweep.id, { summaryKey: objective.summaryKey, direction: objective.direction, effectKeys: ['r'] });
    expect(charts.completed).toBe(8);
    expect(charts.parallel[0].metric).toBe(Math.max(...told));

    // the budget is spent
    const e = await askTrial(t.db, sweep.id).catch((x) => x);
    expect(e).toBeInstanceOf(SweepStateError);
    expect(e.message).toMatch(/^sweep: sweep .* is completed: its budget.maxTrials 8 is spent/);
    // resumed with a higher budget, asking goes on
    await resumeSweep(t.db, sweep.id, { maxTrials: 9 });
    const more = await askTrial(t.db, sweep.id);
    expect(more.index).toBe(8);
    await tellTrial(t.db, sweep.id, more.trialId, { failed: true, reason: 'CUDA out of memory' });
    expect(await t.db.trial.findUniqueOrThrow({ where: { id: more.trialId } })).toMatchObject({ status: 'failed', error: 'CUDA out of memory' });
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('completed');
  });

  it('multi-objective: values in the objectives order, a cost into measurements', async () => {
    const { sweep } = await submitExternalSweep(t.db, TPE(3, 'objectives: [{ metric: accuracy, direction: maximize }, { metric: trainable_params, direction: minimize }]'));
    const a = await askTrial(t.db, sweep.id);
    expect(a.objectives.map((o) => o.metric)).toEqual(['accuracy', 'trainable_params']);
    await expect(tellTrial(t.db, sweep.id, a.trialId, { value: 0.9 })).rejects.toThrow(/^value: the sweep has 2 objectives \(accuracy, trainable_params\): give 2 values/);
    await tellTrial(t.db, sweep.id, a.trialId, { values: '0.9,1200' });
    const row = await t.db.trial.findUniqueOrThrow({ where: { id: a.trialId } });
    expect(row).toMatchObject({ status: 'completed', summary: { eval_accuracy: 0.9 }, measurements: { trainableParams: 1200 } });
    // the next ask learns from it: a new index, a new configuration
    const b = await askTrial(t.db, sweep.id);
    expect(b.index).toBe(1);
    await expect(tellTrial(t.db, sweep.id, b.trialId, { pruned: true, values: [0.5, 800] })).rejects.toThrow('values: a pruned trial keeps its task metrics only (accuracy)');
    await tellTrial(t.db, sweep.id, b.trialId, { pruned: true, reason: 'worse than median' });
    expect(await t.db.trial.findUniqueOrThrow({ where: { id: b.trialId } })).toMatchObject({ status: 'pruned', error: 'pruned: worse than median' });
  });

  it('bad tells: clear errors, nothing stored', async () => {
    const { sweep } = await submitExternalSweep(t.db, TPE(4));
    const a = await askTrial(t.db, sweep.id);
    const before = await t.db.trial.findUniqueOrThrow({ where: { id: a.trialId } });
    for (const [input, message] of [
      [{ value: 'abc' }, 'value: must be a number (got "abc")'],
      [{ value: '' }, 'value: must be a number (got "")'],
      [{ values: '0.5,x' }, 'values[1]: must be a number (got "x")'],
      [{}, "value: required: the trial's objective value"],
      [{ value: 1, failed: true }, 'failed: give one of value, values and failed (got value and failed)'],
      [{ failed: 'yes' }, 'failed: must be true or false (got "yes")'],
    ] as const) {
      const e = await tellTrial(t.db, sweep.id, a.trialId, input as never).catch((x) => x);
      expect(e).toBeInstanceOf(InvalidFieldError);
      expect(e.message.startsWith(message)).toBe(true);
    }
    await expect(tellTrial(t.db, sweep.id, 'no-such-trial', { value: 0.5 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(tellTrial(t.db, 'no-such-sweep', a.trialId, { value: 0.5 })).rejects.toBeInstanceOf(NotFoundError);
    expect(await t.db.trial.findUniqueOrThrow({ where: { id: a.trialId } })).toEqual(before);

    await tellTrial(t.db, sweep.id, a.trialId, { value: 0.75 });
    const done = await t.db.trial.findUniqueOrThrow({ where: { id: a.trialId } });
    const twice = await tellTrial(t.db, sweep.id, a.trialId, { value: 0.1 }).catch((x) => x);
    expect(twice).toBeInstanceOf(TrialFinishedError);
    expect(twice.message).toBe(`trial ${a.trialId} is already completed; finished trials cannot be updated`);
    expect(await t.db.trial.findUniqueOrThrow({ where: { id: a.trialId } })).toEqual(done);
  });

  it('workers never take an external sweep; an untold reservation fails when it expires, never goes to a worker', async () => {
    const queue = new TrialQueue(t.db);
    const { sweep } = await submitExternalSweep(t.db, TPE(2));
    expect(await queue.claimNextTrial('worker-1', 60_000)).toBeNull();
    const a = await askTrial(t.db, sweep.id, { leaseMs: 300 });
    await new Promise((r) => setTimeout(r, 600));
    await queue.requeueExpiredLeases();
    expect(await t.db.trial.findUniqueOrThrow({ where: { id: a.trialId } })).toMatchObject({ status: 'failed', error: 'lease expired 1 times' });
    expect(await queue.claimNextTrial('worker-1', 60_000)).toBeNull();
    await expect(tellTrial(t.db, sweep.id, a.trialId, { value: 0.5 })).rejects.toBeInstanceOf(TrialFinishedError);
    // without a worker to settle expiries, ask does it: an expired reservation is failed first
    const { sweep: s2 } = await submitExternalSweep(t.db, TPE(3));
    const stale = await askTrial(t.db, s2.id, { leaseMs: 300 });
    await new Promise((r) => setTimeout(r, 600));
    const late = await tellTrial(t.db, s2.id, stale.trialId, { value: 0.5 }).catch((x) => x);
    expect(late).toBeInstanceOf(SweepStateError);
    expect(late.message).toMatch(/^trial: trial .*'s reservation expired at .*; nothing stored \(ask again\)/);
    expect(await t.db.trial.findUniqueOrThrow({ where: { id: stale.trialId } })).toMatchObject({ status: 'failed', summary: null });
    const stale2 = await askTrial(t.db, s2.id, { leaseMs: 300 });
    await new Promise((r) => setTimeout(r, 600));
    expect((await askTrial(t.db, s2.id)).index).toBe(2);
    expect((await t.db.trial.findUniqueOrThrow({ where: { id: stale2.trialId } })).status).toBe('failed');

    // the budget counts it; the next ask is the last one
    const b = await askTrial(t.db, sweep.id);
    expect(b.index).toBe(1);
    const busy = await askTrial(t.db, sweep.id).catch((x) => x);
    expect(busy.message).toMatch(/^sweep: sweep .*: budget.maxTrials 2 is taken, 1 of them asked and not told yet/);
    await tellTrial(t.db, sweep.id, b.trialId, { value: 0.5 });
    expect((await t.db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('completed');
  });

  it('repeatable: the same spec and seed told the same results suggests the same trials in the same order', async () => {
    const drive = async () => {
      const { sweep } = await submitExternalSweep(t.db, TPE(7));
      const keys: string[] = [];
      for (let i = 0; i < 7; i++) {
        const a = await askTrial(t.db, sweep.id);
        keys.push(a.configKey);
        if (i === 2) await tellTrial(t.db, sweep.id, a.trialId, { failed: true });
        else await tellTrial(t.db, sweep.id, a.trialId, { value: trainElsewhere(a.training) });
      }
      return keys;
    };
    const first = await drive();
    expect(await drive()).toEqual(first);
    expect(new Set(first).size).toBe(7);
  });

  it('concurrent asks get distinct trials and never exceed maxTrials', async () => {
    const { sweep } = await submitExternalSweep(t.db, TPE(6));
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => askTrial(t.db, sweep.id)));
    const asked = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(asked.map((a) => a.index).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(asked.map((a) => a.configKey)).size).toBe(6);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(SweepStateError);
  });

  it('refused: asking a worker sweep, an external sweep that is not adaptive', async () => {
    const { sweep } = await submitSweep(t.db, TPE(3), { skipResourceCheck: true });
    await expect(askTrial(t.db, sweep.id)).rejects.toThrow(/^sweep: sweep .* is trained by workers/);
    await expect(askTrial(t.db, 'nope')).rejects.toBeInstanceOf(NotFoundError);
    const grid = 'name: g\ntask: spam\ntraining: { maxSteps: 5 }\nmethods: [{ method: lora, space: { r: [2, 4] } }]';
    await expect(submitExternalSweep(t.db, grid)).rejects.toThrow(/^strategy.type: an external \(ask-and-tell\) sweep must be adaptive/);
    await expect(askTrial(t.db, sweep.id, { leaseMs: 0 })).rejects.toThrow(/^leaseMs: must be an integer/);
    const { sweep: ext } = await submitExternalSweep(t.db, TPE(3));
    await new TrialQueue(t.db).cancelSweep(ext.id);
    await expect(askTrial(t.db, ext.id)).rejects.toThrow(/^sweep: sweep .* is cancelled; nothing more to ask \(peft-lab sweep resume .* continues it\)$/);
    await resumeSweep(t.db, ext.id);
    expect((await askTrial(t.db, ext.id)).index).toBe(0);
  });
});
