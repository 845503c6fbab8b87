import { describe, expect, it } from 'vitest';
import { aggregateSweep } from './aggregate.js';
import { METHODS, parseReportInput, type ReportInput } from './input.js';
import { loadFixture } from './test-helpers.js';
import { median, sampleStd } from './stats.js';

function tiny(trials: Partial<ReportInput['trials'][number]>[], direction: 'maximize' | 'minimize' = 'maximize'): ReportInput {
  return parseReportInput({
    sweep: { id: 's', name: 'n', status: 'completed', spec: {}, baseModel: 'b', task: 't', createdAt: new Date('2026-01-01T00:00:00Z') },
    objective: { metric: 'accuracy', direction },
    trials: trials.map((t, i) => ({ id: `t${i}`, index: i, method: 'lora', hyperparameters: {}, seed: i, status: 'completed', ...t })),
  });
}

describe('stats', () => {
  it('computes sample std and median', () => {
    expect(sampleStd([1, 2, 3])).toBeCloseTo(1, 12);
    expect(sampleStd([5])).toBeNull();
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});

describe('aggregateSweep', () => {
  it('picks the best configuration by mean over seeds, not by its best seed', () => {
    const input = tiny([
      { hyperparameters: { r: 4 }, seed: 1, summary: { eval_accuracy: 0.95 } },
      { hyperparameters: { r: 4 }, seed: 2, summary: { eval_accuracy: 0.75 } },
      { hyperparameters: { r: 8 }, seed: 1, summary: { eval_accuracy: 0.9 } },
      { hyperparameters: { r: 8 }, seed: 2, summary: { eval_accuracy: 0.88 } },
    ]);
    const lora = aggregateSweep(input).methods[0];
    expect(lora.best!.hyperparameters).toEqual({ r: 8 });
    expect(lora.best!.mean).toBeCloseTo(0.89, 12);
    expect(lora.best!.std).toBeCloseTo(Math.SQRT2 * 0.01, 12);
    expect(lora.best!.n).toBe(2);
  });

  it('follows minimize objectives', () => {
    const input = tiny(
      [
        { hyperparameters: { r: 4 }, summary: { perplexity: 30 } },
        { hyperparameters: { r: 8 }, summary: { perplexity: 20 } },
      ],
      'minimize',
    );
    input.objective.metric = 'perplexity';
    expect(aggregateSweep(input).methods[0].best!.hyperparameters).toEqual({ r: 8 });
  });

  it('ignores failed, cancelled and pruned trials in means and costs', () => {
    const input = tiny([
      { hyperparameters: { r: 4 }, summary: { eval_accuracy: 0.8 }, measurements: { peakBytes: 100 } },
      { hyperparameters: { r: 4 }, status: 'pruned', summary: { eval_accuracy: 0.99 }, measurements: { peakBytes: 1 } },
      { hyperparameters: { r: 4 }, status: 'failed', error: 'boom' },
    ]);
    const agg = aggregateSweep(input);
    const lora = agg.methods[0];
    expect(lora.best!.mean).toBe(0.8);
    expect(lora.best!.costs.peakBytes).toBe(100);
    expect(lora.best!.n).toBe(1);
    expect(agg.missing).toContain('lora: 1 trial failed: #2 (boom)');
    expect(agg.missing).toContain('lora: 1 trial pruned: #1');
    expect(agg.missing).toContain('lora: best configuration has 1 seed (n=1): no std over seeds');
  });

  it('computes Δ against full fine-tuning: absolute for the metric, ratios for costs', () => {
    const agg = aggregateSweep(loadFixture('sweep'));
    const full = agg.baseline!.best!;
    const lora = agg.methods.find((m) => m.method === 'lora')!;
    expect(lora.delta!.metric).toBeCloseTo(lora.best!.mean! - full.mean!, 12);
    expect(lora.delta!.costs.peakBytes).toBeCloseTo(lora.best!.costs.peakBytes! / full.costs.peakBytes!, 12);
    expect(agg.baseline!.delta!.metric).toBe(0);
  });

  it('says what is missing without a baseline and for a method with no seeds', () => {
    const agg = aggregateSweep(loadFixture('sweep-missing'));
    expect(agg.baseline).toBeNull();
    expect(agg.methods.every((m) => m.delta === null)).toBe(true);
    const prompt = agg.methods.find((m) => m.method === 'prompt')!;
    expect(prompt.best).toBeNull();
    expect(agg.missing).toContain('no full fine-tuning baseline in this sweep: Δ columns are empty');
    // full, and any registered method the fixture has no trial of (in registry order).
    expect(agg.absentMethods).toEqual(METHODS.filter((m) => !['lora', 'adapter', 'prefix', 'prompt'].includes(m)));
    expect(agg.absentMethods[0]).toBe('full');
    expect(agg.missing).toContain(`methods not in this sweep: ${agg.absentMethods.join(', ')}`);
    expect(agg.missing.some((m) => m.startsWith('prompt: no completed trial reported accuracy'))).toBe(true);
    expect(agg.missing.some((m) => m.startsWith('prefix: best configuration lacks measurements'))).toBe(true);
  });
});
