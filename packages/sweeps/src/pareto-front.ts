// The non-dominated front of two objectives, for charts and reports: a point is on it when no
// other point is at least as good on both and better on one. O(n log n) by one sweep, so a
// 10,000-trial sweep is marked at once (strategies/tpe's nonDominationRanks ranks every
// front in n dimensions, which the sampler needs and a chart does not).

export interface TwoObjectivePoint {
  x: number;
  y: number;
}

/**
 * @returns per point, whether it is on the front (exact duplicates of a front point are too)
 * @example paretoFront2d([{ x: 1, y: 1 }, { x: 2, y: 3 }, { x: 3, y: 2 }], 'minimize', 'maximize') // [true, true, false]
 */
export function paretoFront2d(points: readonly TwoObjectivePoint[], dx: 'maximize' | 'minimize', dy: 'maximize' | 'minimize'): boolean[] {
  const sx = dx === 'maximize' ? -1 : 1;
  const sy = dy === 'maximize' ? -1 : 1;
  // best x first; among equal x, best y first: a later point is dominated unless its y beats every earlier one
  const order = points.map((_, i) => i).sort((a, b) => sx * (points[a].x - points[b].x) || sy * (points[a].y - points[b].y));
  const front = new Array<boolean>(points.length).fill(false);
  let bestY = Infinity;
  let bestX = NaN;
  for (const i of order) {
    const x = sx * points[i].x;
    const y = sy * points[i].y;
    if (y < bestY || (y === bestY && x === bestX)) {
      front[i] = true;
      bestY = y;
      bestX = x;
    }
  }
  return front;
}
