import { describe, expect, it } from 'vitest';
import { hypervolume, hypervolumeWeights, nonDominationRanks, referencePoint, selectByHypervolume, splitMultiObjective } from './multi-objective.js';

/**
 * A small known front, both objectives minimised: A(1,5) B(2,3) C(3,2) D(5,1) form the front,
 * E(3,4) F(4,3) the next rank, G(5,5) the last. Expected values from Optuna 5.0.0
 * (_fast_non_domination_rank, _solve_hssp, compute_hypervolume, _get_reference_point) and by
 * hand: reference 1.1 × worst = (5.5, 5.5); the front's hypervolume 12.25; exclusive
 * contributions A 1×0.5, B 1×2, C 2×1, D 0.5×1.
 */
const pts = [
  [1, 5],
  [2, 3],
  [3, 2],
  [5, 1],
  [3, 4],
  [4, 3],
  [5, 5],
];

describe('multi-objective TPE pieces (against Optuna 5.0.0)', () => {
  it('non-domination ranks', () => {
    expect(nonDominationRanks(pts)).toEqual([0, 0, 0, 0, 1, 1, 2]);
  });
  it('reference point and hypervolume (2 and 3 objectives)', () => {
    const front = pts.slice(0, 4);
    expect(referencePoint(front)).toEqual([5.5, 5.5]);
    expect(hypervolume(front, [5.5, 5.5])).toBeCloseTo(12.25, 12);
    expect(referencePoint([[0, -2]])).toEqual([1e-12, -1.8]);
    const p3 = [
      [1, 2, 3],
      [2, 1, 3],
      [3, 3, 1],
      [2, 2, 2],
    ];
    expect(hypervolume(p3, [4, 4, 4])).toBeCloseTo(13, 12);
    // Optuna's _solve_hssp picks [3, 0]
    expect(selectByHypervolume(p3, 2, [4, 4, 4]).sort()).toEqual([0, 3]);
  });
  it('hypervolume subset selection: B first (a tie with C, lexsorted first), then C', () => {
    expect(selectByHypervolume(pts.slice(0, 4), 2, [5.5, 5.5])).toEqual([1, 2]);
    // duplicates count once: too few unique points → every unique one, then the first duplicates
    expect(selectByHypervolume([[1, 2], [1, 2], [2, 1]], 2, [3, 3]).sort()).toEqual([0, 2]);
  });
  it('split: whole ranks while they fit, the boundary rank by hypervolume', () => {
    expect(splitMultiObjective(pts, 2)).toEqual([1, 2]);
    expect(splitMultiObjective(pts, 4)).toEqual([0, 1, 2, 3]);
    // rank 1's E and F tie on contribution (0.56 each to reference (4.4, 4.4)): E is lexsorted first
    expect(splitMultiObjective(pts, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(splitMultiObjective(pts, 0)).toEqual([]);
    expect(splitMultiObjective(pts, 7)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
  it('below weights: hypervolume contribution over the largest, EPS behind the front', () => {
    const w = hypervolumeWeights(pts.slice(0, 4));
    [0.25, 1, 1, 0.25].forEach((x, i) => expect(w[i]).toBeCloseTo(x, 12));
    const withDominated = hypervolumeWeights([...pts.slice(0, 4), [5, 5]]);
    expect(withDominated[4]).toBe(1e-12);
    expect(hypervolumeWeights([[1, 1]])).toEqual([1]);
  });
});
