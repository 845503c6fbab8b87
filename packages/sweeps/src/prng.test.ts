import { describe, expect, it } from 'vitest';
import { createRng, hashSeed } from './prng.js';

describe('createRng (mulberry32)', () => {
  it('gives the same stream for a seed, pinned so it never changes across machines', () => {
    const a = createRng(42);
    const first = [a.next(), a.next(), a.next()];
    const b = createRng(42);
    expect([b.next(), b.next(), b.next()]).toEqual(first);
    expect(first.map((x) => x.toFixed(8))).toMatchInlineSnapshot(`
      [
        "0.60110375",
        "0.44829056",
        "0.85246579",
      ]
    `);
    expect(hashSeed('1:methods[0]')).toMatchInlineSnapshot(`771607518`);
  });
  it('is roughly uniform and int(n) stays in [0, n)', () => {
    const rng = createRng(7);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) buckets[rng.int(10)]++;
    for (const c of buckets) {
      expect(c).toBeGreaterThan(850);
      expect(c).toBeLessThan(1150);
    }
  });
  it('different seeds give different streams', () => {
    expect(createRng(1).next()).not.toBe(createRng(2).next());
  });
});
