// Optimisation history: the best objective value so far after each trial, in trial-index
// order (Optuna's plot_optimization_history). Which strategy finds good trials sooner
// (TPE against random) shows as the curve rising earlier. Pure: the dashboard's SQL computes
// the same curve (packages/db sweepHistoryRows) for thousands of trials; reports call this.

export interface HistoryTrial {
  /** The trial's index in its sweep (suggestion order). */
  index: number;
  /** The objective's value; null when the trial gave none (failed, pruned without a value, running). */
  value: number | null;
  /** Only completed trials count; absent means completed. */
  status?: string;
}

export interface HistoryPoint {
  index: number;
  /** This trial's value (null: it gave none). */
  value: number | null;
  /** The best value of trials 0..index (null until a trial gave one). */
  best: number | null;
}

/**
 * @example bestSoFar([{ index: 0, value: 0.6 }, { index: 1, value: 0.5 }, { index: 2, value: 0.8 }], 'maximize').map((p) => p.best) // [0.6, 0.6, 0.8]
 */
export function bestSoFar(trials: readonly HistoryTrial[], direction: 'maximize' | 'minimize'): HistoryPoint[] {
  const better = (a: number, b: number) => (direction === 'maximize' ? a > b : a < b);
  let best: number | null = null;
  return [...trials].sort((a, b) => a.index - b.index).map((t) => {
    const ok = (t.status === undefined || t.status === 'completed') && typeof t.value === 'number' && Number.isFinite(t.value);
    const value = ok ? (t.value as number) : null;
    if (value !== null && (best === null || better(value, best))) best = value;
    return { index: t.index, value, best };
  });
}

/**
 * The best value so far at a few trial counts (after the first n trials by index), for a
 * table: the default counts are 1, 5, 10, 25, 50, 100, … up to the sweep's size, and the size.
 */
export function bestAtTrialCounts(points: readonly HistoryPoint[], counts?: readonly number[]): { trials: number; best: number | null }[] {
  const n = points.length;
  const at = counts ?? defaultCounts(n);
  return at.filter((c) => c >= 1 && c <= n).map((c) => ({ trials: c, best: points[c - 1].best }));
}

function defaultCounts(n: number): number[] {
  const out: number[] = [];
  for (let base = 1; base <= n; base *= 10) for (const m of [1, 2.5, 5]) {
    const c = Math.round(base * m);
    if (c <= n && c !== out[out.length - 1] && Number.isInteger(base * m)) out.push(c);
  }
  if (n > 0 && out[out.length - 1] !== n) out.push(n);
  return out;
}
