/**
 * MOTPE's pieces (Optuna's TPESampler with several objectives): the below set is the best
 * non-domination ranks, the rank that straddles the boundary cut by greedy hypervolume subset
 * selection (`optuna/_hypervolume/hssp.py`), and the below kernels weighted by their
 * hypervolume contribution. Loss vectors are minimised (maximised objectives negated first).
 *
 * Simplifications, all equivalent on the small fronts a sweep has: the hypervolume is computed
 * exactly by slicing (no WFG, no box decomposition), and the greedy selection recomputes every
 * contribution each round instead of Optuna's lazy upper-bound updates (same choices, slower).
 */

const EPS = 1e-12;

/** Whether a is no worse than b everywhere and better somewhere. */
function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) better = true;
  }
  return better;
}

/** Fast non-dominated sort: rank 0 is the Pareto front, rank 1 the front once it is removed, … */
export function nonDominationRanks(lossValues: readonly (readonly number[])[]): number[] {
  const n = lossValues.length;
  const ranks = Array<number>(n).fill(-1);
  let remaining = [...Array(n).keys()];
  for (let r = 0; remaining.length > 0; r++) {
    const front = remaining.filter((i) => !remaining.some((j) => j !== i && dominates(lossValues[j], lossValues[i])));
    for (const i of front) ranks[i] = r;
    remaining = remaining.filter((i) => ranks[i] === -1);
  }
  return ranks;
}

/** The volume dominated by `points` and bounded by `reference` (minimisation). */
export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const d = reference.length;
  const pts = points.filter((p) => p.every((v, i) => v < reference[i]));
  if (pts.length === 0) return 0;
  if (d === 1) return reference[0] - Math.min(...pts.map((p) => p[0]));
  const sorted = [...pts].sort((a, b) => a[d - 1] - b[d - 1]);
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const next = i + 1 < sorted.length ? sorted[i + 1][d - 1] : reference[d - 1];
    const height = next - sorted[i][d - 1];
    if (height > 0) volume += height * hypervolume(sorted.slice(0, i + 1).map((p) => p.slice(0, d - 1)), reference.slice(0, d - 1));
  }
  return volume;
}

/** Optuna's `_get_reference_point`: 10% beyond the worst value of each objective (EPS for 0). */
export function referencePoint(lossValues: readonly (readonly number[])[]): number[] {
  return lossValues[0].map((_, k) => {
    const worst = Math.max(...lossValues.map((v) => v[k]));
    const r = Math.max(1.1 * worst, 0.9 * worst);
    return r === 0 ? EPS : r;
  });
}

function lexCompare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * Greedy hypervolume subset selection: `size` of the points (one front), each round the one
 * adding the most hypervolume. Duplicates count once, as in Optuna (unique rows, lexsorted,
 * first the unique ones, then duplicates in order when there are too few unique ones).
 * @returns positions into `lossValues`
 */
export function selectByHypervolume(lossValues: readonly (readonly number[])[], size: number, reference: readonly number[]): number[] {
  const n = lossValues.length;
  if (size >= n) return [...Array(n).keys()];
  const order = [...Array(n).keys()].sort((i, j) => lexCompare(lossValues[i], lossValues[j]) || i - j);
  const unique = order.filter((i, k) => k === 0 || lexCompare(lossValues[order[k - 1]], lossValues[i]) !== 0);
  if (unique.length < size) {
    const chosen = new Set(unique);
    for (let i = 0; i < n && chosen.size < size; i++) chosen.add(i);
    return [...chosen].sort((a, b) => a - b);
  }
  if (!reference.every(Number.isFinite) || unique.length === size) return unique.slice(0, size);
  const selected: number[] = [];
  let rest = [...unique];
  let hvSelected = 0;
  while (selected.length < size) {
    let best = -1;
    let bestGain = -Infinity;
    for (const i of rest) {
      const gain = hypervolume([...selected.map((s) => lossValues[s]), lossValues[i]], reference) - hvSelected;
      if (gain > bestGain) {
        bestGain = gain;
        best = i;
      }
    }
    selected.push(best);
    hvSelected += bestGain;
    rest = rest.filter((i) => i !== best);
  }
  return selected;
}

/**
 * The `nBelow` best of the completed trials' loss vectors: whole non-domination ranks while they
 * fit, then the boundary rank's points by hypervolume subset selection.
 * @returns positions into `lossValues`, ascending
 */
export function splitMultiObjective(lossValues: readonly (readonly number[])[], nBelow: number): number[] {
  const n = lossValues.length;
  if (nBelow <= 0) return [];
  if (nBelow >= n) return [...Array(n).keys()];
  const ranks = nonDominationRanks(lossValues);
  const below: number[] = [];
  let r = 0;
  for (; ; r++) {
    const rank = ranks.flatMap((x, i) => (x === r ? [i] : []));
    if (below.length + rank.length > nBelow) {
      const need = nBelow - below.length;
      if (need > 0) {
        const vals = rank.map((i) => lossValues[i]);
        below.push(...selectByHypervolume(vals, need, referencePoint(vals)).map((k) => rank[k]));
      }
      break;
    }
    below.push(...rank);
  }
  return below.sort((a, b) => a - b);
}

/**
 * The below kernels' weights (Optuna 4.x `_calculate_weights_below_for_multi_objective`): a
 * point's hypervolume contribution to the below set's front, over the largest one, at least EPS
 * (points behind the front get EPS). Optuna 5.0 weighs the below set uniformly instead; the
 * contribution weights are what the MOTPE paper (Ozaki et al. 2020/2022) describes.
 */
export function hypervolumeWeights(lossValues: readonly (readonly number[])[]): number[] {
  const n = lossValues.length;
  if (n <= 1) return Array<number>(n).fill(1);
  const ref = referencePoint(lossValues);
  const onFront = lossValues.map((p) => !lossValues.some((q) => dominates(q, p)));
  const front = lossValues.filter((_, i) => onFront[i]);
  const hv = hypervolume(front, ref);
  if (!Number.isFinite(hv)) return Array<number>(n).fill(1);
  const frontIdx = lossValues.flatMap((_, i) => (onFront[i] ? [i] : []));
  const contribs = Array<number>(n).fill(0);
  frontIdx.forEach((i, k) => {
    contribs[i] = hv - hypervolume(front.filter((_, j) => j !== k), ref);
  });
  const max = Math.max(EPS, ...contribs);
  return contribs.map((c) => Math.max(c / max, EPS));
}
