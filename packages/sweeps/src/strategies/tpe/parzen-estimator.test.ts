import { describe, expect, it } from 'vitest';
import { createRng } from '../../prng.js';
import { defaultWeights, fitParzenEstimator, parzenLogPdf, sampleParzen, type ParamSpace } from './parzen-estimator.js';
import { erf, erfc, logGaussMass, ppf, truncnormLogPdf } from './truncnorm.js';

/**
 * Expected numbers from Optuna 5.0.0 (`.venv-ref/bin/pip install optuna`):
 *   pe = optuna.samplers._tpe.parzen_estimator._ParzenEstimator({'x': np.asarray(obs)}, {'x': dist},
 *     _ParzenEstimatorParameters(prior_weight=1.0, consider_magic_clip=True, consider_endpoints=False,
 *     weights=default_weights, multivariate=False))
 *   pe._mixture_distribution.weights / .distributions[0].mu, .sigma (or .weights), pe.log_pdf({'x': xs})
 * printed with 15 significant digits. The first case by hand: sorted with the range ends
 * 0 | 1 2 5 | 10, gaps to neighbours → σ = max(1,1), max(1,3), max(3,5) = 1, 3, 5; without
 * endpoints the outer two take their inner gap: 1 and 3; magic clip raises σ to ≥ 10/min(100, 1+4)
 * = 2 → 2, 3, 3; the prior kernel is N(5, 10); weights 1/4 each.
 */
const cases: { name: string; space: ParamSpace; obs: number[]; xs: number[]; weights: number[]; logPdf: number[]; mus?: number[]; sigmas?: number[]; probs?: number[][] }[] = [
  {
    name: 'linear float [0, 10]',
    space: { type: 'numeric', low: 0, high: 10, log: false, step: null },
    obs: [1, 2, 5],
    xs: [0.5, 3, 9],
    weights: [0.25, 0.25, 0.25, 0.25],
    logPdf: [-1.93224158538976, -1.95903274834561, -3.1672882472126],
    mus: [1, 2, 5, 5],
    sigmas: [2, 3, 3, 10],
  },
  {
    name: 'log float [1e-4, 1e-1] (FloatDistribution log=True)',
    space: { type: 'numeric', low: 1e-4, high: 1e-1, log: true, step: null },
    obs: [1e-3, 3e-3, 2e-2],
    xs: [2e-4, 2e-3, 5e-2],
    weights: [0.25, 0.25, 0.25, 0.25],
    logPdf: [-2.33170835782608, -1.65458733568623, -2.17577121178926],
    mus: [-6.90775527898214, -5.80914299031403, -3.91202300542815, -5.75646273248511],
    sigmas: [1.38155105579643, 1.89711998488588, 1.89711998488588, 6.90775527898214],
  },
  {
    name: 'log int [1, 64] (IntDistribution log=True), tied observations',
    space: { type: 'numeric', low: 1, high: 64, log: true, step: 1 },
    obs: [4, 16, 16, 32],
    xs: [1, 8, 16, 64],
    weights: [0.2, 0.2, 0.2, 0.2, 0.2],
    logPdf: [-2.39734027226763, -3.43071477319559, -3.8612476614305, -5.78531505596754],
    mus: [1.38629436111989, 2.77258872223978, 2.77258872223978, 3.46573590279973, 1.73675902162089],
    sigmas: [1.38629436111989, 1.38629436111989, 0.809968734060279, 0.809968734060279, 4.85981240436167],
  },
  {
    name: 'int [2, 32] step 2',
    space: { type: 'numeric', low: 2, high: 32, log: false, step: 2 },
    obs: [4, 8],
    xs: [2, 6, 30],
    weights: [1 / 3, 1 / 3, 1 / 3],
    logPdf: [-2.30048257864467, -2.207465916028, -3.85353167265356],
    mus: [4, 8, 17],
    sigmas: [8, 8, 32],
  },
  {
    name: 'categorical of 3',
    space: { type: 'categorical', choices: 3 },
    obs: [0, 2, 2],
    xs: [0, 1, 2],
    weights: [0.25, 0.25, 0.25, 0.25],
    logPdf: [-1.09861228866811, -1.65822807660353, -0.741937344729377],
    // 1 on the observed choice + 1/4 everywhere, normalised: (1.25, 0.25, 0.25) / 1.75
    probs: [
      [5 / 7, 1 / 7, 1 / 7],
      [1 / 7, 1 / 7, 5 / 7],
      [1 / 7, 1 / 7, 5 / 7],
      [1 / 3, 1 / 3, 1 / 3],
    ],
  },
  {
    name: 'no observations: the prior alone',
    space: { type: 'numeric', low: 0, high: 1, log: false, step: null },
    obs: [],
    xs: [0.2],
    weights: [1],
    logPdf: [-0.00402219950905047],
    mus: [0.5],
    sigmas: [1],
  },
];

describe('fitParzenEstimator (against Optuna 5.0.0)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const pe = fitParzenEstimator(c.obs, c.space);
      pe.weights.forEach((w, i) => expect(w).toBeCloseTo(c.weights[i], 12));
      const k = pe.kernels;
      if (k.type === 'numeric') {
        k.mus.forEach((m, i) => expect(m).toBeCloseTo(c.mus![i], 12));
        k.sigmas.forEach((s, i) => expect(s).toBeCloseTo(c.sigmas![i], 12));
      } else {
        k.probs.forEach((row, i) => row.forEach((p, j) => expect(p).toBeCloseTo(c.probs![i][j], 12)));
      }
      c.xs.forEach((x, i) => expect(parzenLogPdf(pe, x)).toBeCloseTo(c.logPdf[i], 10));
    });
  }

  it('30 observations: default_weights ramps the 5 oldest up from 1/30, and the log-pdf matches', () => {
    const obs = Array.from({ length: 30 }, (_, i) => ((i * 7) % 30) / 30);
    const pe = fitParzenEstimator(obs, { type: 'numeric', low: 0, high: 1, log: false, step: null });
    // Optuna: weights[:5], then 25 × 0.0349854…, the prior's the same
    const first = [0.0011661807580174927, 0.009620991253644314, 0.018075801749271137, 0.026530612244897955, 0.034985422740524776];
    first.forEach((w, i) => expect(pe.weights[i]).toBeCloseTo(w, 14));
    expect(pe.weights[30]).toBeCloseTo(0.034985422740524776, 14);
    // magic clip: σ ≥ 1/min(100, 1 + 31) = 1/32, below the gaps of 1/30, which stand
    expect(pe.kernels.type === 'numeric' && pe.kernels.sigmas[0]).toBeCloseTo(1 / 30, 12);
    expect(parzenLogPdf(pe, 0.1)).toBeCloseTo(0.0914810862953858, 10);
    expect(parzenLogPdf(pe, 0.55)).toBeCloseTo(0.0742444002363778, 10);
  });

  it('defaultWeights: flat below 25, a ramp from 1/n then 25 ones beyond', () => {
    expect(defaultWeights(0)).toEqual([]);
    expect(defaultWeights(3)).toEqual([1, 1, 1]);
    const w = defaultWeights(27);
    expect(w).toHaveLength(27);
    expect(w[0]).toBeCloseTo(1 / 27, 15);
    expect(w[1]).toBe(1);
    expect(w.slice(2)).toEqual(Array(25).fill(1));
  });

  it('draws stay in range, on the step, and repeat for the same rng', () => {
    const space: ParamSpace = { type: 'numeric', low: 2, high: 32, log: false, step: 2 };
    const pe = fitParzenEstimator([4, 8, 30], space);
    const a = sampleParzen(pe, createRng(5), 200);
    expect(a).toEqual(sampleParzen(pe, createRng(5), 200));
    for (const x of a) {
      expect(x).toBeGreaterThanOrEqual(2);
      expect(x).toBeLessThanOrEqual(32);
      expect(x % 2).toBe(0);
    }
    const log = fitParzenEstimator([1e-3], { type: 'numeric', low: 1e-5, high: 1e-1, log: true, step: null });
    for (const x of sampleParzen(log, createRng(1), 200)) expect(x >= 1e-5 && x <= 1e-1).toBe(true);
    const cat = fitParzenEstimator([2, 2, 2, 2, 2, 2, 2, 2], { type: 'categorical', choices: 3 });
    const draws = sampleParzen(cat, createRng(3), 300);
    expect(draws.filter((d) => d === 2).length).toBeGreaterThan(200);
  });
});

describe('truncnorm (against Optuna 5.0.0 _truncnorm)', () => {
  // _truncnorm.ppf(q, a, b), _log_gauss_mass(a, b), logpdf(0.7, a=-1, b=2, loc=0.2, scale=1.5)
  const qs: [number, number, number][] = [
    [0.3, -1, 2],
    [0.01, -30, -25],
    [0.9, 0.5, 40],
    [0.5, -2, -1],
  ];
  const ppfs = [-0.242403817889227, -25.1832440394124, 1.86839159512664, -1.33644034774525];
  const masses = [-0.200166294324463, -316.63940800802, -1.17591176159362, -1.99579826918076];
  it('ppf and log mass, including the far left tail', () => {
    qs.forEach(([q, a, b], i) => {
      expect(ppf(q, a, b)).toBeCloseTo(ppfs[i], 9);
      expect(logGaussMass(a, b)).toBeCloseTo(masses[i], 9);
    });
  });
  it('logpdf; erf/erfc at a few points (math.erf, math.erfc)', () => {
    expect(truncnormLogPdf(0.7, -1, 2, 0.2, 1.5)).toBeCloseTo(-1.17979290254393, 12);
    expect(truncnormLogPdf(5, -1, 2, 0.2, 1.5)).toBe(-Infinity);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 15);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 15);
    expect(erfc(3)).toBeCloseTo(2.209049699858544e-5, 18);
    expect(erfc(10) / 2.088487583762545e-45).toBeCloseTo(1, 12);
  });
});
