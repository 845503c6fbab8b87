import { describe, expect, it } from 'vitest';
import { bestAtTrialCounts, bestSoFar } from './optimisation-history.js';

describe('bestSoFar', () => {
  it('is the running best by index, skipping trials without a completed value', () => {
    const pts = bestSoFar([
      { index: 2, value: 0.8 }, { index: 0, value: 0.6 }, { index: 1, value: 0.9, status: 'failed' }, { index: 3, value: null }, { index: 4, value: 0.7 },
    ], 'maximize');
    expect(pts).toEqual([
      { index: 0, value: 0.6, best: 0.6 }, { index: 1, value: null, best: 0.6 }, { index: 2, value: 0.8, best: 0.8 },
      { index: 3, value: null, best: 0.8 }, { index: 4, value: 0.7, best: 0.8 },
    ]);
    expect(bestSoFar([{ index: 0, value: 3 }, { index: 1, value: 2 }, { index: 2, value: 4 }], 'minimize').map((p) => p.best)).toEqual([3, 2, 2]);
    expect(bestSoFar([{ index: 0, value: null }], 'minimize')).toEqual([{ index: 0, value: null, best: null }]);
  });

  it('bestAtTrialCounts reads it at 1, 5, 10, 25, 50, … and the last trial', () => {
    const pts = bestSoFar(Array.from({ length: 30 }, (_, i) => ({ index: i, value: i })), 'maximize');
    expect(bestAtTrialCounts(pts)).toEqual([1, 5, 10, 25, 30].map((t) => ({ trials: t, best: t - 1 })));
    expect(bestAtTrialCounts(pts, [3, 40])).toEqual([{ trials: 3, best: 2 }]);
    expect(bestAtTrialCounts([])).toEqual([]);
  });
});
