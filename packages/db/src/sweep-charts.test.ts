import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweepWithTrials } from './queries';
import { CHART_COST_MEASURES, sweepChartRows } from './sweep-charts';
import { TrialQueue } from './queue/trial-queue';
import { createTestDatabase, type TestDatabase } from './testing';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
}, 60_000);
afterAll(() => t?.cleanup());

describe('sweepChartRows', () => {
  it('carries forgetting as a cost measure (median per method) and on every Pareto point (null where not measured)', async () => {
    const queue = new TrialQueue(t.db);
    const trials = [
      { method: 'full', forgetting: 10.1 }, { method: 'lora', forgetting: 0.4 }, { method: 'lora', forgetting: 0.6 }, { method: 'adapter', forgetting: null },
    ];
    const { sweep } = await createSweepWithTrials(t.db, { name: 'forgetting', spec: {}, task: 'spam' },
      trials.map((tr, i) => ({ method: tr.method, hyperparameters: { i }, seed: i })));
    for (let n = 0; n < trials.length; n++) {
      const lease = (await queue.claimNextTrial('w', 60_000))!;
      const tr = trials[lease.trial.index];
      await queue.completeTrial(lease, { eval_accuracy: 0.8 + lease.trial.index / 100 }, {
        trainableParams: 100 * (lease.trial.index + 1), forgettingLoss: tr.forgetting, forgettingNote: tr.forgetting === null ? 'no LM head' : 'held-out',
      });
    }
    expect(CHART_COST_MEASURES).toContain('forgettingLoss');
    const r = await sweepChartRows(t.db, sweep.id, { summaryKey: 'eval_accuracy', direction: 'maximize', effectKeys: [] });
    const costs = Object.fromEntries(r.costs.map((c) => [c.method, c.forgettingLoss]));
    expect(costs).toEqual({ full: 10.1, lora: 0.5, adapter: null });
    expect(r.pareto.map((p) => [p[1], p[6]])).toEqual([['full', 10.1], ['lora', 0.4], ['lora', 0.6], ['adapter', null]]);
  });
});
