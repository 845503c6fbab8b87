// Which trials are "top": the best `quantile` share of them, and never fewer than
// `minTop` (Optuna's `_QuantileFilter`: the cutoff is the larger of the minTop-th best
// value and the inverted-CDF quantile, ties at the cutoff kept).

/**
 * @param losses one value per trial, lower is better (maximised objectives negated)
 * @param quantile in (0, 1]: 0.1 keeps the best 10 %
 * @param minTop at least this many are kept (when there are that many)
 * @returns a keep flag per trial, in input order
 * @example quantileFilter([3, 1, 2, 5], 0.5, 2) // [false, true, true, false]
 */
export function quantileFilter(losses: readonly number[], quantile: number, minTop: number): boolean[] {
  if (!(quantile > 0 && quantile <= 1)) throw new RangeError(`quantile must be in (0, 1] (got ${quantile})`);
  if (losses.length === 0) return [];
  const sorted = [...losses].sort((a, b) => a - b);
  const atQuantile = sorted[Math.max(0, Math.ceil(quantile * sorted.length) - 1)];
  const atMinTop = sorted[Math.min(sorted.length, Math.max(1, minTop)) - 1];
  const cutoff = Math.max(atQuantile, atMinTop);
  return losses.map((l) => l <= cutoff);
}

/**
 * The fewest trials for which the top `quantile` share alone holds `minTop` of them
 * (ceil(quantile · n) ≥ minTop): 11 for the top 10 % holding 2.
 */
export function trialsNeeded(quantile: number, minTop: number): number {
  let n = Math.max(1, minTop);
  // a loop rather than floor((minTop - 1) / quantile) + 1, which floating point gets wrong at 0.1
  while (Math.ceil(quantile * n - 1e-9) < minTop) n++;
  return n;
}
