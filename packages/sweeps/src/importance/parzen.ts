// The 1-D Parzen estimators PED-ANOVA compares, as Optuna 5's
// `importance/_ped_anova/scott_parzen_estimator.py` builds them: values are counted on a
// grid (numbers) or per choice (categories), one kernel per occupied cell weighted by its
// count, plus one wide prior kernel of weight `priorWeight`; the density is read on the grid.

/** A parameter's domain: a grid of numbers (log-spaced for log parameters) or its choices. */
export type ParamDomain =
  | {
    kind: 'numeric'; log: boolean; integer: boolean; low: number; high: number;
    /** Grid points when the space declares them (a range with step: its points, at most GRID_STEPS); else the rules below. */
    steps?: number;
  }
  | { kind: 'categorical'; choices: readonly string[] };

/** Grid cells of a numeric domain (Optuna's n_steps = 50 for floats). */
export const GRID_STEPS = 50;

/**
 * The grid points of a numeric domain, in its own scale (log values for log domains), as
 * Optuna 5 lays them: 50 points; an integer domain with fewer values gets one per value, a
 * log-scaled integer domain ceil(log2(high − low + 1)) + 1; a domain with `steps` (a range with
 * a step, whose points are evenly spaced on its scale) that many.
 */
export function numericGrid(d: Extract<ParamDomain, { kind: 'numeric' }>): number[] {
  const lo = d.log ? Math.log(d.low) : d.low;
  const hi = d.log ? Math.log(d.high) : d.high;
  let n = GRID_STEPS;
  if (d.steps !== undefined) n = Math.max(2, Math.min(GRID_STEPS, d.steps));
  else if (d.integer && d.log) n = Math.min(GRID_STEPS, Math.ceil(Math.log2(d.high - d.low + 1)) + 1);
  else if (d.integer) n = Math.min(GRID_STEPS, d.high - d.low + 1);
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/**
 * Counts of `values` per cell of the domain: the grid point nearest each value (a value
 * half a step below a point counts there), or its choice.
 */
export function cellCounts(d: ParamDomain, values: readonly (number | string)[]): number[] {
  if (d.kind === 'categorical') {
    const counts = new Array<number>(d.choices.length).fill(0);
    for (const v of values) {
      const i = d.choices.indexOf(String(v));
      if (i >= 0) counts[i]++;
    }
    return counts;
  }
  const grid = numericGrid(d);
  const step = grid[1] - grid[0];
  const counts = new Array<number>(grid.length).fill(0);
  for (const v of values) {
    const x = d.log ? Math.log(v as number) : (v as number);
    // the nearest point; a value midway between two counts at the lower one
    const i = Math.ceil((x - grid[0]) / step - 0.5);
    counts[Math.min(grid.length - 1, Math.max(0, i))]++;
  }
  return counts;
}

/**
 * The estimator's probability of each cell (sums to 1).
 * @param counts occupied cells, as cellCounts gives them
 */
export function parzenPmf(d: ParamDomain, counts: readonly number[], priorWeight = 1): number[] {
  const n = counts.length;
  const occupied = counts.map((c, i) => [i, c] as const).filter(([, c]) => c > 0);
  if (occupied.length === 0) return new Array<number>(n).fill(1 / n);
  const total = occupied.reduce((s, [, c]) => s + c, 0);
  const mix = [...occupied.map(([, c]) => c), priorWeight];
  const mixSum = mix.reduce((s, w) => s + w, 0);
  const weights = mix.map((w) => w / mixSum);
  const pmf = new Array<number>(n).fill(0);

  if (d.kind === 'categorical') {
    // One kernel per observed choice: prior_weight / n_kernels on every choice, +1 on its
    // own, normalised; the prior kernel is uniform.
    const base = priorWeight / mix.length;
    occupied.forEach(([at], k) => {
      const rowSum = base * n + 1;
      for (let c = 0; c < n; c++) pmf[c] += (weights[k] * (base + (c === at ? 1 : 0))) / rowSum;
    });
    for (let c = 0; c < n; c++) pmf[c] += weights[weights.length - 1] / n;
    return pmf;
  }

  // Numbers: discretised normals truncated to the grid [0, n-1], one per occupied cell with
  // Scott's bandwidth (Optuna's TPE bandwidth is too wide for this), and the prior at the middle.
  const mus = occupied.map(([i]) => i);
  const cs = occupied.map(([, c]) => c);
  const mean = mus.reduce((s, m, k) => s + m * cs[k], 0) / total;
  let sigma = Math.sqrt(mus.reduce((s, m, k) => s + (m - mean) ** 2 * cs[k], 0) / Math.max(1, total - 1));
  const cum: number[] = [];
  cs.reduce((s, c) => (cum.push(s + c), s + c), 0);
  const q25 = searchSorted(cum, Math.floor(total / 4), 'left');
  const q75 = searchSorted(cum, Math.floor((total * 3) / 4), 'right');
  const iqr = mus[Math.min(mus.length - 1, q75)] - mus[Math.min(mus.length - 1, q25)];
  sigma = 1.059 * Math.min(iqr / 1.34, sigma) * total ** -0.2;
  // 0.5 / 1.64: 90 % of a kernel stays within its own cell at least (numerical floor)
  sigma = Math.max(sigma, 0.5 / 1.64);
  const kernels = [...mus.map((mu) => ({ mu, sigma })), { mu: 0.5 * (n - 1), sigma: n }];
  kernels.forEach(({ mu, sigma: s }, k) => {
    const z = normalCdf((n - 0.5 - mu) / s) - normalCdf((-0.5 - mu) / s);
    for (let x = 0; x < n; x++) pmf[x] += (weights[k] * (normalCdf((x + 0.5 - mu) / s) - normalCdf((x - 0.5 - mu) / s))) / z;
  });
  return pmf;
}

function searchSorted(xs: readonly number[], v: number, side: 'left' | 'right'): number {
  let i = 0;
  while (i < xs.length && (side === 'left' ? xs[i] < v : xs[i] <= v)) i++;
  return i;
}

/** Φ(x) through erfc (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
