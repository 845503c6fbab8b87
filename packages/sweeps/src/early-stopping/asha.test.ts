import { describe, expect, it } from 'vitest';
import { ashaDecision, ashaRungAt } from './asha.js';

const h = (...values: number[]) => values.map((value, i) => ({ step: i + 1, value }));
const rule = { minEvals: 1, reductionFactor: 3 };

describe('ashaDecision', () => {
  it('puts rungs at minEvals·η^r', () => {
    expect([1, 2, 3, 4, 9, 27].map((n) => ashaRungAt(n, rule))).toEqual([0, null, 1, null, 2, 3]);
    expect([2, 4, 6, 8].map((n) => ashaRungAt(n, { minEvals: 2, reductionFactor: 2 }))).toEqual([0, 1, null, 2]);
  });

  it('continues the top 1/η at a rung and stops the rest', () => {
    const others = [h(0.1), h(0.2), h(0.3), h(0.4), h(0.5)];
    // 6 competitors at rung 0 (itself included): the top 2 continue
    expect(ashaDecision(h(0.9), others, rule)).toEqual({ stop: false, reason: 'rung 0: metric 0.9 is in the top 2 of 6' });
    expect(ashaDecision(h(0.45), others, rule).stop).toBe(false);
    expect(ashaDecision(h(0.35), others, rule)).toEqual({ stop: true, reason: 'rung 0: metric 0.35 is not in the top 2 of 6 (cut-off 0.4)' });
  });

  it('minimize flips the order', () => {
    const others = [h(1), h(2), h(3), h(4), h(5)];
    expect(ashaDecision(h(1.5), others, rule, 'minimize').stop).toBe(false);
    expect(ashaDecision(h(2.5), others, rule, 'minimize').stop).toBe(true);
  });

  it('with fewer than η competitors only the best continues; off-rung evaluations never stop', () => {
    expect(ashaDecision(h(0.3), [h(0.5)], rule).stop).toBe(true);
    expect(ashaDecision(h(0.6), [h(0.5)], rule).stop).toBe(false);
    expect(ashaDecision(h(0.9, 0.0), [h(0.9, 0.9, 0.9)], rule)).toEqual({ stop: false, reason: 'evaluation 2 is not a rung' });
  });
});
