/**
 * A small seedable PRNG (mulberry32) whose whole state is one uint32, so it can
 * be stored in a checkpoint and restored exactly.
 */
export class SeededRng {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uint31 usable as a tfjs op seed. */
  nextSeed(): number {
    return Math.floor(this.next() * 2147483647);
  }
}

/** Deterministic Fisher–Yates permutation of 0..n-1 for (seed, epoch). */
export function shuffledOrder(n: number, seed: number, epoch: number): number[] {
  const rng = new SeededRng((seed * 2654435761 + epoch * 40503 + 1) >>> 0);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Runs `f` with `Math.random` replaced by a generator seeded with `seed`.
 * tfjs draws unseeded random ops (`tf.dropout` inside the model families)
 * from `Math.random` on the JS side on every backend, so this makes dropout
 * reproducible without the models knowing. `f` must be synchronous (a forward
 * pass is), so nothing else can observe the swap.
 */
export function withSeededMathRandom<T>(seed: number, f: () => T): T {
  const original = Math.random;
  const rng = new SeededRng(seed);
  Math.random = () => rng.next();
  try {
    return f();
  } finally {
    Math.random = original;
  }
}
