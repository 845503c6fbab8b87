import { describe, expect, it } from 'vitest';
import { SampleRing, ServeStats } from './serve-stats.js';

describe('SampleRing', () => {
  it('gives p50 / p99 / mean / max over the kept samples and counts every sample', () => {
    const r = new SampleRing(1000);
    expect(r.summary()).toEqual({ count: 0, p50: null, p99: null, mean: null, max: null });
    for (let i = 1; i <= 100; i++) r.add(i);
    expect(r.summary()).toEqual({ count: 100, p50: 50, p99: 99, mean: 50.5, max: 100 });
  });

  it('keeps only the last `cap` samples', () => {
    const r = new SampleRing(3);
    [100, 100, 100, 1, 2, 3].forEach((v) => r.add(v));
    expect(r.summary()).toMatchObject({ count: 6, p50: 2, max: 3 });
  });
});

describe('ServeStats', () => {
  it('reports batch 1 and 8 always and other request sizes under their size', () => {
    const s = new ServeStats();
    s.addLatency(1, 5);
    s.addLatency(3, 7);
    const l = s.latencySummary();
    expect(Object.keys(l)).toEqual(['batch1', 'batch8', 'batch3']);
    expect(l.batch1.p50).toBe(5);
    expect(l.batch8.count).toBe(0);
  });
});
