import { describe, expect, it } from 'vitest';
import { createRng } from '../prng.js';
import { parameterImportance, parameterImportanceByMethod, type ImportanceTrial } from './ped-anova.js';
import { quantileFilter, trialsNeeded } from './quantile-filter.js';
import { cellCounts, numericGrid, parzenPmf, type ParamDomain } from './parzen.js';
import { domainOf } from './parameters.js';
import { coverValues, searchSpaceDomains, storedSpecDomains } from './space.js';
import { validateSweepSpec } from '../spec.js';
// Optuna 5.0.0's numbers for a fixed study (x float [0, 1], r int log [1, 64], c categorical,
// y float [0, 10] set only when c = a): made by the script in its `$comment`, run with
// `.venv-ref/bin/pip install optuna==5.0.0`.
import optuna5 from './optuna-5-reference.json';

const LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];
const pick = <T,>(rng: ReturnType<typeof createRng>, xs: readonly T[]) => xs[rng.int(xs.length)];

/** LoRA trials whose accuracy depends strongly on r, weakly on lr, not on dropout; with noise. */
function plainSweep(n: number, seed = 1): ImportanceTrial[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const r = pick(rng, [1, 2, 4, 8, 16, 32, 64]);
    const lr = pick(rng, LRS);
    const dropout = pick(rng, [0, 0.05, 0.1, 0.2]);
    const value = 0.5 + 0.4 * (Math.log2(r) / 6) + 0.02 * (lr === 1e-3 ? 1 : 0) + 0.01 * (rng.next() - 0.5);
    return { method: 'lora', hyperparameters: { r, dropout, alpha: 16, training: { lr, maxSteps: 60, batchSize: 16 }, configKey: `k${r}-${lr}-${dropout}`, isBaseline: false }, value };
  });
}

describe('parameterImportance (PED-ANOVA)', () => {
  it('ranks the planted parameter first in a plain space', () => {
    const r = parameterImportance(plainSweep(200), { direction: 'maximize' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.importances[0].param).toBe('lora.r');
    expect(r.importances[0].importance).toBeGreaterThan(0.5);
    expect(r.importances.map((p) => p.param).sort()).toEqual(['lora.dropout', 'lora.r', 'lr']);
    expect(r.importances.reduce((s, p) => s + p.importance, 0)).toBeCloseTo(1, 10);
    // constants (alpha, maxSteps, batchSize) and bookkeeping (configKey) are no parameters to rank; one method: no method parameter
    expect(r.completed).toBe(200);
  });

  it('reads minimised objectives the other way round', () => {
    const trials = plainSweep(200).map((t) => ({ ...t, value: -(t.value as number) }));
    const r = parameterImportance(trials, { direction: 'minimize' });
    expect(r.ok && r.importances[0].param).toBe('lora.r');
  });

  it('ranks the planted parameter first in a conditional space, scoring each parameter where it exists', () => {
    const rng = createRng(7);
    const trials: ImportanceTrial[] = [];
    for (let i = 0; i < 300; i++) {
      const lr = pick(rng, LRS);
      const noise = 0.01 * (rng.next() - 0.5);
      if (rng.next() < 0.5) {
        const prefixLength = pick(rng, [4, 8, 16, 32, 64]);
        const reparameterize = rng.next() < 0.5;
        const hp: Record<string, unknown> = { prefixLength, reparameterize, training: { lr } };
        // reparamHidden exists only with reparameterize: true
        if (reparameterize) hp.reparamHidden = pick(rng, [64, 128, 256]);
        // the prefix length is planted: it decides the value within prefix tuning
        trials.push({ method: 'prefix', hyperparameters: hp, value: 0.5 + 0.3 * (Math.log2(prefixLength) - 2) / 4 + noise });
      } else {
        const r = pick(rng, [1, 2, 4, 8, 16]);
        trials.push({ method: 'lora', hyperparameters: { r, training: { lr } }, value: 0.6 + 0.005 * Math.log2(r) + noise });
      }
    }
    const r = parameterImportance(trials, { direction: 'maximize' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const names = r.importances.map((p) => p.param);
    expect(names).toEqual(expect.arrayContaining(['method', 'prefix.prefixLength', 'prefix.reparameterize', 'prefix.reparamHidden', 'lora.r', 'lr']));
    expect(names[0]).toBe('prefix.prefixLength');
    const hidden = r.importances.find((p) => p.param === 'prefix.reparamHidden')!;
    expect(hidden.trials).toBe(trials.filter((t) => t.hyperparameters && 'reparamHidden' in t.hyperparameters).length);

    // per method: the prefix trials alone; the method is not a parameter there
    const byMethod = parameterImportanceByMethod(trials, { direction: 'maximize' });
    expect(byMethod.map((m) => m.method)).toEqual(['lora', 'prefix']);
    const prefix = byMethod[1].result;
    expect(prefix.ok && prefix.importances[0].param).toBe('prefix.prefixLength');
    expect(prefix.ok && prefix.importances.some((p) => p.param === 'method')).toBe(false);
  });

  it('says how many trials it needs when the top 10 % cannot hold 2', () => {
    expect(trialsNeeded(0.1, 2)).toBe(11);
    const r = parameterImportance(plainSweep(10), { direction: 'maximize' });
    expect(r).toEqual({ ok: false, reason: 'not-enough-trials', completed: 10, needed: 11, message: 'not enough trials: needs 11 completed, has 10' });
    // failed, running and value-less trials are not completed
    const mixed = [...plainSweep(10), { method: 'lora', hyperparameters: { r: 4 }, value: 0.7, status: 'failed' }, { method: 'lora', hyperparameters: { r: 4 }, value: null }];
    expect(parameterImportance(mixed, { direction: 'maximize' })).toMatchObject({ ok: false, message: 'not enough trials: needs 11 completed, has 10' });
    expect(parameterImportance(plainSweep(11), { direction: 'maximize' }).ok).toBe(true);
  });

  it('matches Optuna 5 (conditional PED-ANOVA, normalised) on the same trials, both directions', () => {
    const trials = optuna5.trials.map((t) => ({ method: 'lora', hyperparameters: t.params, value: t.value }));
    for (const direction of ['maximize', 'minimize'] as const) {
      const r = parameterImportance(trials, { direction });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const expected = optuna5.expected[direction] as Record<string, number>;
      expect(r.importances.map((p) => p.param)).toEqual(Object.keys(expected).map((k) => `lora.${k}`));
      for (const p of r.importances) expect(p.importance, `${direction} ${p.param}`).toBeCloseTo(expected[p.param.slice(5)], 6);
      expect(r.importances.find((p) => p.param === 'lora.y')!.trials).toBe(10);
    }
  });

  it('scores a parameter set in 2 trials; one set in fewer region trials is listed, not scored', () => {
    const trials = plainSweep(40);
    (trials[0].hyperparameters as Record<string, unknown>).useRslora = true;
    (trials[1].hyperparameters as Record<string, unknown>).useRslora = false;
    const r = parameterImportance(trials, { direction: 'maximize' });
    expect(r.ok && r.importances.find((p) => p.param === 'lora.useRslora')?.trials).toBe(2);
    expect(r.ok && r.unscored).toEqual([]);
    // the region as the best half: a parameter of the worst trials drops out of it
    const worst = [...trials].sort((a, b) => (a.value as number) - (b.value as number)).slice(0, 3);
    worst.forEach((t, i) => { (t.hyperparameters as Record<string, unknown>).dora = i === 0 ? 'x' : 'y'; });
    const half = parameterImportance(trials, { direction: 'maximize', regionQuantile: 0.5 });
    expect(half.ok && half.unscored).toEqual([{ param: 'lora.dora', trials: 0, message: 'not enough trials: lora.dora is set in 0 of 20' }]);
  });

  it('says so when nothing varies', () => {
    const same = Array.from({ length: 12 }, (_, i) => ({ method: 'lora', hyperparameters: { r: 8, training: { lr: 1e-3 } }, value: i / 12 }));
    expect(parameterImportance(same, { direction: 'maximize' })).toMatchObject({ ok: false, reason: 'nothing-varies' });
  });

  it('is deterministic and independent of trial order', () => {
    const trials = plainSweep(120, 3);
    const a = parameterImportance(trials, { direction: 'maximize' });
    const b = parameterImportance([...trials].reverse(), { direction: 'maximize' });
    expect(b).toEqual(a);
    expect(parameterImportance(trials, { direction: 'maximize' })).toEqual(a);
  });
});

describe('the pieces, against Optuna', () => {
  it('quantileFilter keeps the inverted-CDF top share, at least minTop, ties included', () => {
    expect(quantileFilter([1, 2], 0.1, 2)).toEqual([true, true]);
    expect(quantileFilter([5, 4, 3, 2, 1, 0, -1, -2, -3, -4], 0.1, 2)).toEqual([false, false, false, false, false, false, false, false, true, true]);
    expect(quantileFilter([3, 1, 1, 2], 0.25, 1)).toEqual([false, true, true, false]);
    expect(quantileFilter([3, 1, 2, 5], 1, 2)).toEqual([true, true, true, true]);
  });

  it('the Parzen estimators are distributions over the grid, peaked where the values are', () => {
    const num = { kind: 'numeric', log: false, integer: false, low: 0, high: 1 } as const;
    const counts = cellCounts(num, [0.5, 0.5, 0.52, 0.48]);
    expect(counts.length).toBe(50);
    const pmf = parzenPmf(num, counts);
    expect(pmf.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 6);
    expect(pmf.indexOf(Math.max(...pmf))).toBeGreaterThanOrEqual(23);
    expect(pmf.indexOf(Math.max(...pmf))).toBeLessThanOrEqual(26);
    const cat = { kind: 'categorical', choices: ['a', 'b', 'c'] } as const;
    // kernel a (weight 3: row [1.5, .5, .5] / 2.5) + uniform prior (weight 1): a 0.75·0.6 + 0.25/3
    const p = parzenPmf(cat, cellCounts(cat, ['a', 'a', 'a']));
    expect(p[0]).toBeCloseTo(0.75 * 0.6 + 0.25 / 3, 10);
    expect(p[1]).toBeCloseTo(0.75 * 0.2 + 0.25 / 3, 10);
  });
});

describe('the search space from the spec', () => {
  // lr declared log over [1e-5, 0.1]; the trials happen to take only 1e-3..1.5e-2 (a factor 15 < 50)
  const spec = {
    name: 's', task: 'spam', strategy: { type: 'random', count: 50 }, training: { maxSteps: 10, lr: { min: 1e-5, max: 0.1, scale: 'log' } },
    methods: [
      { method: 'lora', space: { r: { min: 1, max: 64, scale: 'log', step: 2 }, dropout: { min: 0, max: 0.3, step: 0.05 }, targetModules: { choices: [['q', 'v'], ['q', 'k', 'v', 'o']] } } },
      { method: 'prefix', space: { prefixLength: [4, 8, 16] } },
    ],
  };
  const TAKEN = [1e-3, 2e-3, 4e-3, 8e-3, 1.5e-2];
  /** lr planted (best at 4e-3), r and dropout noise. */
  function lrSweep(n: number, seed = 5): ImportanceTrial[] {
    const rng = createRng(seed);
    return Array.from({ length: n }, () => {
      const lr = pick(rng, TAKEN);
      const r = pick(rng, [1, 2, 4, 8, 16, 32, 64]);
      const dropout = pick(rng, [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
      const value = 0.9 - 0.1 * Math.abs(Math.log(lr / 4e-3)) + 0.01 * (rng.next() - 0.5);
      return { method: 'lora', hyperparameters: { r, dropout, targetModules: ['q', 'v'], training: { lr, maxSteps: 10 } }, value };
    });
  }

  it('reads each parameter on its declared range and scale, choices as declared', () => {
    const d = searchSpaceDomains(validateSweepSpec(spec));
    expect(d.get('lr')).toEqual({ kind: 'numeric', log: true, integer: false, low: 1e-5, high: 0.1 });
    // inferred from the trials alone it would be linear over what they took
    expect(domainOf(TAKEN)).toEqual({ kind: 'numeric', log: false, integer: false, low: 1e-3, high: 1.5e-2 });
    // a log step's points (1, 2, …, 64) and a linear step's (0, 0.05, …, 0.3) are the grid
    expect(d.get('lora.r')).toEqual({ kind: 'numeric', log: true, integer: true, low: 1, high: 64, steps: 7 });
    expect(numericGrid(d.get('lora.r') as Extract<ParamDomain, { kind: 'numeric' }>).map((x) => Math.round(Math.exp(x)))).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(d.get('lora.dropout')).toEqual({ kind: 'numeric', log: false, integer: false, low: 0, high: 0.3, steps: 7 });
    expect(d.get('lora.targetModules')).toEqual({ kind: 'categorical', choices: ['q+v', 'q+k+v+o'] });
    expect(d.get('prefix.prefixLength')).toEqual({ kind: 'categorical', choices: ['4', '8', '16'] });
    // the full fine-tuning baseline (the spec's default) is a method too
    expect(d.get('method')).toEqual({ kind: 'categorical', choices: ['full', 'lora', 'prefix'] });
    // fixed values (maxSteps) are no domain
    expect(d.has('maxSteps')).toBe(false);
  });

  it('scores a log-range parameter on the log scale though its trials span less than ×50; the planted one ranks first', () => {
    const trials = lrSweep(200);
    const withSpec = parameterImportance(trials, { direction: 'maximize', spec });
    expect(withSpec.ok).toBe(true);
    if (!withSpec.ok) return;
    expect(withSpec.importances[0].param).toBe('lr');
    expect(withSpec.importances[0].importance).toBeGreaterThan(0.5);
    // the same numbers as a log domain over the declared range gives, not the inferred linear one
    const logSpec = parameterImportance(trials, { direction: 'maximize', spec: { ...spec, training: { ...spec.training, lr: { min: 1e-5, max: 0.1, scale: 'log' } } } });
    expect(logSpec).toEqual(withSpec);
    const linear = { ...spec, training: { ...spec.training, lr: { min: 1e-5, max: 0.1 } } };
    expect(storedSpecDomains(linear)?.get('lr')).toEqual({ kind: 'numeric', log: false, integer: false, low: 1e-5, high: 0.1 });
    const linearSpec = parameterImportance(trials, { direction: 'maximize', spec: linear });
    expect(linearSpec.ok && linearSpec.importances.find((p) => p.param === 'lr')!.importance).not.toBeCloseTo(withSpec.importances[0].importance, 3);
    const inferred = parameterImportance(trials, { direction: 'maximize' });
    expect(inferred.ok && inferred.importances.find((p) => p.param === 'lr')!.importance).not.toBeCloseTo(withSpec.importances[0].importance, 3);
    // a parameter that took one value (targetModules) is not scored though the space has two choices
    expect(withSpec.importances.map((p) => p.param).sort()).toEqual(['lora.dropout', 'lora.r', 'lr']);
    // per method too, and the method (one per scope) is no parameter there
    const byMethod = parameterImportanceByMethod(trials, { direction: 'maximize', spec });
    expect(byMethod[0].result).toEqual(withSpec);
  });

  it('keeps the planted parameter first with the spec in the plain and the conditional sweep', () => {
    const plainSpec = { name: 'p', task: 'spam', training: { maxSteps: 60, batchSize: 16, lr: LRS }, methods: [{ method: 'lora', space: { r: [1, 2, 4, 8, 16, 32, 64], dropout: [0, 0.05, 0.1, 0.2], alpha: 16 } }] };
    const r = parameterImportance(plainSweep(200), { direction: 'maximize', spec: plainSpec });
    expect(r.ok && r.importances[0].param).toBe('lora.r');
  });

  it('widens the declared domain to values outside it; infers without a valid spec', () => {
    const trials = lrSweep(60);
    (trials[0].hyperparameters!.training as Record<string, unknown>).lr = 0.5;
    const d = searchSpaceDomains(validateSweepSpec(spec)).get('lr')!;
    expect(coverValues(d, [1e-3, 0.5])).toEqual({ kind: 'numeric', log: true, integer: false, low: 1e-5, high: 0.5 });
    expect(coverValues({ kind: 'categorical', choices: ['a', 'b'] }, ['c', 'a'])).toEqual({ kind: 'categorical', choices: ['a', 'b', 'c'] });
    expect(parameterImportance(trials, { direction: 'maximize', spec }).ok).toBe(true);
    const none = parameterImportance(trials, { direction: 'maximize' });
    expect(parameterImportance(trials, { direction: 'maximize', spec: { name: 'broken' } })).toEqual(none);
    expect(parameterImportance(trials, { direction: 'maximize', spec: null })).toEqual(none);
  });
});
