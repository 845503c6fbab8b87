import { describe, expect, it } from 'vitest';
import { medianStoppingDecision } from './median.js';
import { earlyStoppingDecision } from './index.js';
import { EarlyStoppingInputError } from '../errors.js';

/** A history from values, one evaluation every 10 steps. */
const h = (...values: number[]) => values.map((value, i) => ({ step: (i + 1) * 10, value }));
const rule = { afterEvals: 2, minTrials: 3 };

describe('medianStoppingDecision', () => {
  const others = [h(0.5, 0.6, 0.7), h(0.5, 0.7, 0.8), h(0.4, 0.8, 0.9), h(0.3)];

  it('stops a trial below the median of the others at the same evaluation (maximize)', () => {
    // at evaluation 2 the three trials that got there have 0.6, 0.7, 0.8: median 0.7
    const d = medianStoppingDecision(h(0.9, 0.65), others, rule, 'maximize');
    expect(d).toEqual({ stop: true, reason: 'metric 0.65 at evaluation 2 is below the median 0.7 of 3 other trials' });
    expect(medianStoppingDecision(h(0.1, 0.7), others, rule, 'maximize').stop).toBe(false);
    expect(medianStoppingDecision(h(0.1, 0.75), others, rule, 'maximize').stop).toBe(false);
  });

  it('minimize: stops a trial above the median (perplexity, loss)', () => {
    const losses = [h(3, 2.5), h(3, 2.0), h(3, 1.5)];
    expect(medianStoppingDecision(h(3, 2.1), losses, rule, 'minimize')).toEqual({
      stop: true,
      reason: 'metric 2.1 at evaluation 2 is above the median 2 of 3 other trials',
    });
    expect(medianStoppingDecision(h(3, 1.9), losses, rule, 'minimize').stop).toBe(false);
  });

  it('averages the two middle values for an even count', () => {
    const four = [h(0, 0.2), h(0, 0.4), h(0, 0.6), h(0, 0.8)];
    expect(medianStoppingDecision(h(0, 0.49), four, rule).stop).toBe(true);
    expect(medianStoppingDecision(h(0, 0.5), four, rule).stop).toBe(false);
  });

  it('does not stop during warm-up, before any evaluation, or with too few comparable trials', () => {
    expect(medianStoppingDecision(h(0.0), others, rule)).toEqual({ stop: false, reason: 'warm-up: evaluation 1 of 2 before the median rule applies' });
    expect(medianStoppingDecision([], others, rule)).toEqual({ stop: false, reason: 'no evaluation yet' });
    // only 2 trials reached evaluation 3
    expect(medianStoppingDecision(h(0, 0.9, 0.1), others.slice(1), rule)).toEqual({ stop: false, reason: 'only 2 other trial(s) reached evaluation 3; the median rule needs 3' });
    expect(medianStoppingDecision(h(0, 0.9, 0.1), others, { afterEvals: 1, minTrials: 2 }).stop).toBe(true);
  });

  it('treats NaN (a diverged trial) as the worst value', () => {
    expect(medianStoppingDecision(h(0.5, NaN), others, rule, 'minimize').stop).toBe(true);
    expect(medianStoppingDecision(h(0.5, NaN), others, rule, 'maximize').stop).toBe(true);
    // a diverged other trial drags the median down instead of poisoning it
    expect(medianStoppingDecision(h(0, 0.65), [h(0, NaN), h(0, 0.6), h(0, 0.7)], rule).stop).toBe(false);
  });

  it('rejects malformed input naming the argument', () => {
    expect(() => medianStoppingDecision(h(1), [[{ step: 1 } as never]], rule)).toThrow('othersHistories[0][0] must be { step: number, value: number } (got {"step":1})');
    expect(() => medianStoppingDecision(h(1), [], rule, 'up' as never)).toThrow(EarlyStoppingInputError);
    expect(() => medianStoppingDecision(h(1), [], { afterEvals: 0, minTrials: 1 })).toThrow('rule.afterEvals must be an integer ≥ 1 (got 0)');
  });

  it('earlyStoppingDecision dispatches on the spec rule', () => {
    expect(earlyStoppingDecision({ type: 'none' }, h(0, 0), others, 'maximize').stop).toBe(false);
    expect(earlyStoppingDecision({ type: 'median', ...rule }, h(0.9, 0.65), others, 'maximize').stop).toBe(true);
  });
});
