import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweepWithTrials } from './queries';
import { sweepAnalysisRows } from './sweep-analysis';
import { createTestDatabase, type TestDatabase } from './testing';

let t: TestDatabase;
beforeAll(async () => { t = await createTestDatabase(); }, 60_000);
afterAll(() => t?.cleanup());

describe('sweepAnalysisRows', () => {
  it('gives the best so far by index (improvements kept when downsampled), the completed trials and the strategy', async () => {
    const values = [0.5, 0.4, 0.7, null, 0.6, 0.9, 0.8];
    const { sweep } = await createSweepWithTrials(t.db, { name: 'analysis', spec: { strategy: { type: 'random', count: 7, seed: 0 } }, task: 'spam' },
      values.map((_, i) => ({ method: i % 2 ? 'lora' : 'full', hyperparameters: { r: i, training: { lr: 1e-3 } }, seed: 0 })));
    const trials = await t.db.trial.findMany({ where: { sweepId: sweep.id }, orderBy: { index: 'asc' } });
    for (const [i, tr] of trials.entries()) {
      const v = values[i];
      await t.db.trial.update({
        where: { id: tr.id },
        data: v === null ? { status: 'failed' } : { status: 'completed', summary: { eval_accuracy: v }, measurements: { trainableParams: 100 * (i + 1) } },
      });
    }
    const r = await sweepAnalysisRows(t.db, sweep.id, { summaryKey: 'eval_accuracy', direction: 'maximize' });
    expect(r.strategy).toBe('random');
    expect(r.total).toBe(7);
    expect(r.history).toEqual([[0, 0.5, 0.5], [1, 0.4, 0.5], [2, 0.7, 0.7], [3, null, 0.7], [4, 0.6, 0.7], [5, 0.9, 0.9], [6, 0.8, 0.9]]);
    expect(r.completed.map((c) => [c.index, c.method, c.value])).toEqual([[0, 'full', 0.5], [1, 'lora', 0.4], [2, 'full', 0.7], [4, 'full', 0.6], [5, 'lora', 0.9], [6, 'full', 0.8]]);
    expect(r.completed[0].hyperparameters).toEqual({ r: 0, training: { lr: 1e-3 } });
    // one objective: summary and measurements stay in the database
    expect(r.completed[0]).toMatchObject({ summary: null, measurements: null });

    // a sample of every 3rd trial, plus each improvement and the last one
    const few = await sweepAnalysisRows(t.db, sweep.id, { summaryKey: 'eval_accuracy', direction: 'maximize', maxHistoryPoints: 3 });
    expect(few.history.map((h) => h[0])).toEqual([0, 2, 5, 6]);
    // minimised, and read from measurements when the summary lacks the key
    const cost = await sweepAnalysisRows(t.db, sweep.id, { summaryKey: 'trainableParams', direction: 'minimize' });
    expect(cost.history.map((h) => h[2])).toEqual([100, 100, 100, 100, 100, 100, 100]);
  });

  it('a multi-objective spec brings each completed trial\'s summary and measurements', async () => {
    const spec = { objectives: [{ metric: 'accuracy' }, { metric: 'trainable_params' }] };
    const { sweep, trialIds } = await createSweepWithTrials(t.db, { name: 'multi', spec, task: 'spam' }, [{ method: 'lora', hyperparameters: {}, seed: 0 }]);
    await t.db.trial.update({ where: { id: trialIds[0] }, data: { status: 'completed', summary: { eval_accuracy: 0.7 }, measurements: { trainableParams: 42 } } });
    const r = await sweepAnalysisRows(t.db, sweep.id, { summaryKey: 'eval_accuracy', direction: 'maximize' });
    expect(r.completed).toEqual([{ index: 0, method: 'lora', hyperparameters: {}, summary: { eval_accuracy: 0.7 }, measurements: { trainableParams: 42 }, value: 0.7 }]);
  });

  it('a sweep without a strategy is grid; no trials, no rows', async () => {
    const { sweep } = await createSweepWithTrials(t.db, { name: 'empty', spec: {}, task: 'spam' }, []);
    expect(await sweepAnalysisRows(t.db, sweep.id, { summaryKey: null, direction: 'maximize' })).toEqual({ strategy: 'grid', spec: {}, total: 0, history: [], completed: [] });
  });
});
