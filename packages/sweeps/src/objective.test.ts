import { describe, expect, it } from 'vitest';
import { canonicalMetric, sweepObjective } from './objective.js';

describe('sweepObjective', () => {
  it("takes the spec's objective, with its direction", () => {
    expect(sweepObjective({ objective: { metric: 'accuracy', direction: 'maximize' } })).toEqual({ metric: 'accuracy', direction: 'maximize', summaryKey: 'eval_accuracy', series: 'eval/accuracy' });
    expect(sweepObjective({ objective: { metric: 'perplexity', direction: 'maximize' } }, { metric: 'accuracy' }).direction).toBe('maximize');
  });

  it('treats eval_loss, eval/loss and loss as one minimised objective, and final_loss as the last training loss', () => {
    const loss = { metric: 'loss', direction: 'minimize', summaryKey: 'eval_loss', series: 'eval/loss' };
    for (const metric of ['loss', 'eval_loss', 'eval/loss']) {
      expect(sweepObjective({ objective: { metric } })).toEqual(loss);
      expect(sweepObjective({ objective: { metric, direction: 'minimize' } })).toEqual(loss);
    }
    expect(sweepObjective({ objective: { metric: 'final_loss' } })).toEqual({ metric: 'final_loss', direction: 'minimize', summaryKey: 'final_loss', series: 'train/loss' });
    expect(sweepObjective({ objective: { metric: 'finalLoss' } }).summaryKey).toBe('final_loss');
    expect(sweepObjective({ objective: { metric: 'perplexity' } }).direction).toBe('minimize');
  });

  it("falls back to the task's metric, then its kind's, then accuracy", () => {
    expect(sweepObjective({ task: 'genre' }, { metric: 'macro-f1', kind: 'sequence-classification' })).toMatchObject({ metric: 'macro-f1', direction: 'maximize', summaryKey: 'eval_macro-f1' });
    expect(sweepObjective({}, { metric: 'perplexity' })).toMatchObject({ metric: 'perplexity', direction: 'minimize' });
    expect(sweepObjective({}, { kind: 'causal-lm' })).toMatchObject({ metric: 'perplexity', direction: 'minimize', series: 'eval/perplexity' });
    expect(sweepObjective({}, { kind: 'token-classification' })).toMatchObject({ metric: 'token-accuracy', direction: 'maximize' });
    expect(sweepObjective({}, { kind: 'sequence-classification' }).metric).toBe('accuracy');
    expect(sweepObjective(null)).toMatchObject({ metric: 'accuracy', direction: 'maximize', summaryKey: 'eval_accuracy' });
    // A spec objective without a metric is no objective.
    expect(sweepObjective({ objective: { direction: 'minimize' } }, { metric: 'accuracy' })).toMatchObject({ metric: 'accuracy', direction: 'maximize' });
  });

  it('names F1 as the engine reports it (macro-F1)', () => {
    expect(sweepObjective({}, { metric: 'f1' })).toMatchObject({ metric: 'macro-f1', summaryKey: 'eval_macro-f1', series: 'eval/macro-f1' });
    expect(sweepObjective({ objective: { metric: 'f1', direction: 'maximize' } }).metric).toBe('macro-f1');
    expect(canonicalMetric('eval_token_accuracy')).toBe('token-accuracy');
    expect(canonicalMetric('bleu')).toBe('bleu');
  });
});
