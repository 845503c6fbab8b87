import { describe, expect, it } from 'vitest';
import { paretoFront2d } from './pareto-front.js';

/** The definition, point by point (O(n²)): the reference the sweep must match. */
function bruteForce(ps: { x: number; y: number }[], dx: 'maximize' | 'minimize', dy: 'maximize' | 'minimize'): boolean[] {
  const bx = (a: number, b: number) => (dx === 'maximize' ? a - b : b - a);
  const by = (a: number, b: number) => (dy === 'maximize' ? a - b : b - a);
  return ps.map((p) => !ps.some((q) => bx(q.x, p.x) >= 0 && by(q.y, p.y) >= 0 && (bx(q.x, p.x) > 0 || by(q.y, p.y) > 0)));
}

describe('paretoFront2d', () => {
  it('marks the points no other point beats on both objectives, for every pair of directions', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const ps = Array.from({ length: 200 }, () => ({ x: Math.round(rnd() * 30), y: Math.round(rnd() * 30) }));
    for (const dx of ['maximize', 'minimize'] as const) for (const dy of ['maximize', 'minimize'] as const) {
      expect(paretoFront2d(ps, dx, dy), `${dx}/${dy}`).toEqual(bruteForce(ps, dx, dy));
    }
  });

  it('accuracy up, trainable parameters down; duplicates of a front point stay on it', () => {
    const ps = [{ x: 100, y: 0.8 }, { x: 1000, y: 0.9 }, { x: 1000, y: 0.85 }, { x: 50, y: 0.7 }, { x: 100, y: 0.8 }, { x: 2000, y: 0.9 }];
    expect(paretoFront2d(ps, 'minimize', 'maximize')).toEqual([true, true, false, true, true, false]);
    expect(paretoFront2d([], 'minimize', 'maximize')).toEqual([]);
  });
});
