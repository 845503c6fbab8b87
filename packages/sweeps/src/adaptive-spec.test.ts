// Bad adaptive specs: each problem is one `path: message` line (nothing is stored then: the
// API and CLI validate before they write).
import { describe, expect, it } from 'vitest';
import { checkSweepSpec } from './index.js';

const base = { name: 't', task: 'spam', training: { maxSteps: 10 }, methods: [{ method: 'lora', space: { r: [4, 8, 16] } }] };
const errorsOf = (extra: Record<string, unknown>) => {
  const r = checkSweepSpec({ ...base, ...extra });
  return r.ok ? [] : r.errors;
};

describe('adaptive (tpe) specs', () => {
  it('accepts a tpe sweep with a budget', () => {
    const r = checkSweepSpec({ ...base, strategy: { type: 'tpe', seed: 3 }, budget: { maxTrials: 20 } });
    expect(r.ok && r.spec.strategy).toEqual({ type: 'tpe', seed: 3, startupTrials: 10, candidates: 24 });
  });
  it('needs maxTrials, at least as many as the startup trials', () => {
    expect(errorsOf({ strategy: { type: 'tpe' } })).toEqual(['budget.maxTrials: required for strategy tpe: the number of trials to suggest']);
    expect(errorsOf({ strategy: { type: 'tpe', startupTrials: 30 }, budget: { maxTrials: 20 } })).toEqual([
      'strategy.startupTrials: 30 startup trials is more than budget.maxTrials 20',
    ]);
  });
  it('refuses nothing to search and several seeds', () => {
    expect(errorsOf({ methods: [{ method: 'full' }], strategy: { type: 'tpe' }, budget: { maxTrials: 20 } })).toEqual([
      'strategy.type: tpe has nothing to search: one method entry with every hyperparameter fixed (give a list or a range, or more method entries)',
    ]);
    expect(errorsOf({ seeds: 3, strategy: { type: 'tpe' }, budget: { maxTrials: 20 } })[0]).toMatch(/^seeds: strategy tpe suggests one trial per configuration with one seed \(got 3\)/);
  });
  it('objectives: known metrics only, not beside objective', () => {
    expect(errorsOf({ objectives: [{ metric: 'accuracy' }, { metric: 'flops', direction: 'minimize' }] })).toEqual([
      'objectives[1].metric: unknown metric "flops" (known: accuracy, macro-f1, token-accuracy, perplexity, loss, final_loss, trainable_params, peak_memory, latency)',
    ]);
    expect(errorsOf({ objective: { metric: 'accuracy', direction: 'maximize' }, objectives: [{ metric: 'accuracy' }] })).toEqual(['objectives: give objective or objectives, not both']);
  });
});
