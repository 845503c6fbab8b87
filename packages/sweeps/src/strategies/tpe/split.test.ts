import { describe, expect, it } from 'vitest';
import { defaultGamma, splitObservations } from './split.js';
import type { Observation } from './observation.js';

const obs = (state: Observation['state'], value: number | null, step?: number): Observation => ({
  entry: 0,
  values: {},
  objectives: [value],
  state,
  ...(step === undefined ? {} : { step }),
});

describe('defaultGamma (Optuna: min(ceil(0.1·n), 25))', () => {
  it('10% rounded up, capped at 25', () => {
    expect([0, 1, 10, 11, 20, 21, 249, 250, 1000].map(defaultGamma)).toEqual([0, 1, 1, 2, 2, 3, 25, 25, 25]);
  });
});

describe('splitObservations', () => {
  it('the best ⌈10%⌉ completed trials are below, the rest above; maximise and minimise', () => {
    const h = [0.3, 0.9, 0.5, 0.7, 0.1, 0.8, 0.2, 0.6, 0.4, 0.35, 0.05].map((v) => obs('completed', v));
    // n = 11 → 2 below
    expect(splitObservations(h, ['maximize'])).toEqual({ below: [1, 5], above: [0, 2, 3, 4, 6, 7, 8, 9, 10] });
    expect(splitObservations(h, ['minimize']).below).toEqual([4, 10]);
  });
  it('ties keep trial order (a stable sort, as Python sorted)', () => {
    const h = [0.5, 0.9, 0.9, 0.9].map((v) => obs('completed', v));
    expect(splitObservations(h, ['maximize']).below).toEqual([1]);
  });
  it('failed trials and completed ones without a value are in neither set, and not counted in n', () => {
    const h = [obs('completed', 0.5), obs('failed', null), obs('completed', null), obs('completed', NaN), obs('completed', 0.7)];
    // n = 2 → 1 below
    expect(splitObservations(h, ['maximize'])).toEqual({ below: [4], above: [0] });
  });
  it('running trials go above and do not count in n (constant liar)', () => {
    const h = [...Array(10)].map((_, i) => obs('completed', i)).concat([obs('running', null), obs('running', null)]);
    const s = splitObservations(h, ['maximize']);
    expect(s.below).toEqual([9]); // n = 10 → 1, not ⌈1.2⌉ = 2
    expect(s.above).toContain(10);
    expect(s.above).toContain(11);
  });
  it('pruned trials fill the below set after the completed ones: further step first, then value; unknown last', () => {
    const h = [
      obs('completed', 0.2),
      obs('pruned', 0.9, 100),
      obs('pruned', 0.95, 300),
      obs('pruned', 0.5, 300),
      obs('pruned', null),
      ...[...Array(6)].map(() => obs('pruned', 0.99, 50)),
      obs('pruned', null, 400),
    ];
    // n = 12 → 2 below: the completed trial, then the pruned one with the largest step: 11 (step 400, value unknown)
    expect(splitObservations(h, ['maximize']).below).toEqual([0, 11]);
    const ranked = splitObservations(h, ['maximize'], () => 5).below;
    // completed 0, then 11 (step 400), 2 (300, 0.95), 3 (300, 0.5), 1 (100)
    expect(ranked).toEqual([0, 1, 2, 3, 11]);
    // the pruned trial without step or value ranks after every other one
    expect(splitObservations(h, ['maximize'], () => 11).below).not.toContain(4);
  });
  it('a completed trial beats any pruned one, however good its last value', () => {
    const h = [obs('pruned', 0.99, 500), obs('completed', 0.1)];
    expect(splitObservations(h, ['maximize']).below).toEqual([1]);
  });
  it('several objectives: the Pareto front, cut by hypervolume at the boundary', () => {
    // (loss, cost), both minimised; A…D the front, E F rank 1, G rank 2
    const pts = [
      [1, 5],
      [2, 3],
      [3, 2],
      [5, 1],
      [3, 4],
      [4, 3],
      [5, 5],
    ];
    const h = pts.map(([a, b]): Observation => ({ entry: 0, values: {}, objectives: [a, b], state: 'completed' }));
    expect(splitObservations(h, ['minimize', 'minimize'], () => 2).below).toEqual([1, 2]);
    expect(splitObservations(h, ['minimize', 'minimize'], () => 5).below).toEqual([0, 1, 2, 3, 4]);
    // maximising the negated objectives is the same split
    const neg = h.map((o) => ({ ...o, objectives: o.objectives.map((v) => -(v as number)) }));
    expect(splitObservations(neg, ['maximize', 'maximize'], () => 2).below).toEqual([1, 2]);
  });
});
