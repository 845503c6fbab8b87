import { describe, expect, it } from 'vitest';
import { checkSweepSpec, validateSweepSpec, type SweepSpecInput } from './spec.js';
import { expandSweep } from './expand.js';
import { countTrials, countTrialsByEntry } from './count.js';
import { TrialExpansionError } from './errors.js';

const spec = (extra: Partial<SweepSpecInput>) =>
  validateSweepSpec({ name: 't', task: 'spam', training: { maxSteps: 10 }, methods: [{ method: 'lora' }], ...extra });

describe('grid', () => {
  it('is the cartesian product per method × seeds, baseline first', () => {
    const s = spec({ methods: [{ method: 'lora', space: { r: [2, 4], alpha: [8, 16, 32] } }], seeds: [7, 9] });
    const trials = expandSweep(s);
    expect(trials).toHaveLength((1 + 2 * 3) * 2);
    expect(trials.map((t) => t.index)).toEqual(trials.map((_, i) => i));
    expect(trials[0]).toMatchObject({ method: 'full', isBaseline: true, entry: null, seed: 7, hyperparameters: {} });
    expect(trials[1].seed).toBe(9);
    const lora = trials.filter((t) => t.method === 'lora');
    expect(lora.map((t) => [t.hyperparameters.r, t.hyperparameters.alpha, t.seed])).toEqual([
      [2, 8, 7], [2, 8, 9], [2, 16, 7], [2, 16, 9], [2, 32, 7], [2, 32, 9],
      [4, 8, 7], [4, 8, 9], [4, 16, 7], [4, 16, 9], [4, 32, 7], [4, 32, 9],
    ]);
    // defaults are filled in, training defaults too
    expect(lora[0].hyperparameters).toEqual({ r: 2, alpha: 8, dropout: 0, useRslora: false, useDora: false });
    expect(lora[0].training).toEqual({ lr: 5e-4, maxSteps: 10, batchSize: 16, evalEvery: 50, warmupRatio: 0, weightDecay: 0, gradClip: 1, maxSeqLen: 128, gradientCheckpointing: false, pooling: 'last' });
    // one configKey per configuration, shared by its seeds
    expect(new Set(lora.map((t) => t.configKey)).size).toBe(6);
    expect(lora[0].configKey).toBe(lora[1].configKey);
  });

  it('baseline: added by default, absent with baseline none, not duplicated when full is listed', () => {
    expect(expandSweep(spec({})).map((t) => t.method)).toEqual(['full', 'lora']);
    expect(expandSweep(spec({ baseline: 'none' })).map((t) => t.method)).toEqual(['lora']);
    const listed = expandSweep(spec({ methods: [{ method: 'lora' }, { method: 'full', training: { lr: 1e-5 } }] }));
    expect(listed.map((t) => [t.method, t.entry, t.training.lr])).toEqual([['lora', 0, 5e-4], ['full', 1, 1e-5]]);
  });

  it('searches training parameters, with per-method overrides winning', () => {
    const s = spec({
      training: { epochs: 2, lr: [1e-4, 1e-3], batchSize: 8 },
      methods: [{ method: 'lora', space: { r: 4 }, training: { lr: [1e-3, 3e-3, 1e-2] } }],
    });
    const trials = expandSweep(s);
    expect(trials.filter((t) => t.method === 'full').map((t) => t.training.lr)).toEqual([1e-4, 1e-3]);
    expect(trials.filter((t) => t.method === 'lora').map((t) => t.training.lr)).toEqual([1e-3, 3e-3, 1e-2]);
    expect(trials.every((t) => t.training.epochs === 2 && t.training.maxSteps === undefined && t.training.batchSize === 8)).toBe(true);
  });

  it('enumerates stepped ranges (linear, log factor, int default step) without float noise', () => {
    const trials = expandSweep(
      spec({
        baseline: 'none',
        methods: [{ method: 'lora', space: { r: { min: 1, max: 16, scale: 'log', step: 2 }, dropout: { min: 0, max: 0.3, step: 0.1 }, alpha: { min: 8, max: 10, type: 'int' } } }],
      }),
    );
    const uniq = (k: string) => [...new Set(trials.map((t) => t.hyperparameters[k]))];
    expect(uniq('r')).toEqual([1, 2, 4, 8, 16]);
    expect(uniq('dropout')).toEqual([0, 0.1, 0.2, 0.3]);
    expect(uniq('alpha')).toEqual([8, 9, 10]);
    expect(trials).toHaveLength(5 * 4 * 3);
  });

  it('crosses a conditional parameter only where it applies', () => {
    const s = spec({ baseline: 'none', methods: [{ method: 'prefix', space: { reparameterize: [true, false], reparamHidden: [64, 128, 256] } }] });
    const hp = expandSweep(s).map((t) => t.hyperparameters);
    expect(hp).toEqual([
      { prefixLength: 10, reparameterize: true, reparamHidden: 64 },
      { prefixLength: 10, reparameterize: true, reparamHidden: 128 },
      { prefixLength: 10, reparameterize: true, reparamHidden: 256 },
      { prefixLength: 10, reparameterize: false },
    ]);
    expect(countTrials(s)).toBe(4);
  });

  it("leaves reparamHidden unset where it applies but is not given (the engine then uses the model's hidden size)", () => {
    const s = spec({ baseline: 'none', methods: [{ method: 'prefix', space: { reparameterize: true } }] });
    expect(expandSweep(s).map((t) => t.hyperparameters)).toEqual([{ prefixLength: 10, reparameterize: true }]);
  });

  it('adapter: bottleneck replaces the reductionFactor default', () => {
    expect(expandSweep(spec({ baseline: 'none', methods: [{ method: 'adapter', space: { bottleneck: [8, 16] } }] })).map((t) => t.hyperparameters)).toEqual([
      { bottleneck: 8, placement: 'pfeiffer', activation: 'relu' },
      { bottleneck: 16, placement: 'pfeiffer', activation: 'relu' },
    ]);
    expect(expandSweep(spec({ baseline: 'none', methods: [{ method: 'adapter' }] }))[0].hyperparameters).toEqual({ reductionFactor: 16, placement: 'pfeiffer', activation: 'relu' });
  });

  it('targetModules: a list of names is one value, a list of lists is a search', () => {
    const one = expandSweep(spec({ baseline: 'none', methods: [{ method: 'lora', space: { targetModules: ['c_attn', 'c_fc'] } }] }));
    expect(one.map((t) => t.hyperparameters.targetModules)).toEqual([['c_attn', 'c_fc']]);
    const two = expandSweep(spec({ baseline: 'none', methods: [{ method: 'lora', space: { targetModules: [['c_attn'], ['c_attn', 'attn.c_proj', 'c_fc']] } }] }));
    expect(two.map((t) => t.hyperparameters.targetModules)).toEqual([['c_attn'], ['c_attn', 'attn.c_proj', 'c_fc']]);
  });

  it('counts a huge grid without materialising it', () => {
    const s = spec({ methods: [{ method: 'lora', space: { r: { min: 1, max: 1000 }, alpha: { min: 1, max: 1000, type: 'int' }, dropout: { min: 0, max: 0.999, step: 0.001 } } }], seeds: 10 });
    expect(countTrials(s)).toBe((1 + 1000 * 1000 * 1000) * 10);
    expect(countTrialsByEntry(s).map((e) => [e.key, e.configurations])).toEqual([['baseline', 1], ['methods[0]', 1e9]]);
  });

  it('refuses to expand an unvalidated spec over budget', () => {
    const s = spec({ methods: [{ method: 'lora', space: { r: [1, 2, 3] } }] });
    expect(() => expandSweep({ ...s, budget: { maxTrials: 2 } })).toThrow(TrialExpansionError);
    expect(() => expandSweep({ ...s, budget: { maxTrials: 2 } })).toThrow('the sweep expands to 4 trials, more than budget.maxTrials 2');
  });
});

describe('random', () => {
  const randomSpec = (seed: number) =>
    spec({
      strategy: { type: 'random', count: 6, seed },
      seeds: 2,
      training: { maxSteps: 10, lr: { min: 1e-5, max: 1e-2, scale: 'log' } },
      methods: [
        { method: 'lora', space: { r: { min: 1, max: 64, scale: 'log' }, alpha: [8, 16, 32], dropout: { min: 0, max: 0.3 } } },
        { method: 'prompt', space: { promptLength: { min: 4, max: 64, step: 4 }, init: ['random', 'vocab'] } },
      ],
    });

  it('is deterministic for a seed and different for another', () => {
    const a = expandSweep(randomSpec(1));
    expect(expandSweep(randomSpec(1))).toEqual(a);
    const b = expandSweep(randomSpec(2));
    expect(b.map((t) => t.configKey)).not.toEqual(a.map((t) => t.configKey));
  });

  it('draws count distinct configurations per method, within the ranges, times seeds', () => {
    const trials = expandSweep(randomSpec(3));
    expect(trials).toHaveLength(countTrials(randomSpec(3)));
    for (const m of ['full', 'lora', 'prompt']) {
      const ts = trials.filter((t) => t.method === m);
      expect(ts).toHaveLength(12);
      expect(new Set(ts.map((t) => t.configKey)).size).toBe(6);
    }
    for (const t of trials) {
      expect(t.training.lr).toBeGreaterThanOrEqual(1e-5);
      expect(t.training.lr).toBeLessThanOrEqual(1e-2);
    }
    for (const t of trials.filter((t) => t.method === 'lora')) {
      expect(Number.isInteger(t.hyperparameters.r)).toBe(true);
      expect(t.hyperparameters.r).toBeGreaterThanOrEqual(1);
      expect(t.hyperparameters.r).toBeLessThanOrEqual(64);
      expect([8, 16, 32]).toContain(t.hyperparameters.alpha);
    }
    for (const t of trials.filter((t) => t.method === 'prompt')) expect((t.hyperparameters.promptLength as number) % 4).toBe(0);
  });

  it('pins the draws so they stay stable across machines and versions', () => {
    const lora = expandSweep(randomSpec(1)).filter((t) => t.method === 'lora' && t.seed === 0);
    expect(lora.map((t) => [t.hyperparameters.r, t.hyperparameters.alpha])).toMatchInlineSnapshot(`
      [
        [
          34,
          32,
        ],
        [
          62,
          16,
        ],
        [
          15,
          32,
        ],
        [
          2,
          16,
        ],
        [
          25,
          8,
        ],
        [
          1,
          8,
        ],
      ]
    `);
  });

  it('uses every configuration once when a method has no more than count', () => {
    const s = spec({ strategy: { type: 'random', count: 5, seed: 0 }, methods: [{ method: 'lora', space: { r: [2, 4, 8] } }] });
    const trials = expandSweep(s);
    expect(trials.map((t) => [t.method, t.hyperparameters.r])).toEqual([['full', undefined], ['lora', 2], ['lora', 4], ['lora', 8]]);
    expect(countTrials(s)).toBe(4);
  });

  it('log-uniform sampling puts about half the lr draws below the geometric midpoint', () => {
    const s = spec({ baseline: 'none', strategy: { type: 'random', count: 400, seed: 5 }, training: { maxSteps: 1, lr: { min: 1e-6, max: 1e-2, scale: 'log' } } });
    const lrs = expandSweep(s).map((t) => t.training.lr);
    const below = lrs.filter((lr) => lr < 1e-4).length;
    expect(below).toBeGreaterThan(160);
    expect(below).toBeLessThan(240);
  });
});

describe('counts match expansion', () => {
  const cases: Partial<SweepSpecInput>[] = [
    {},
    { seeds: 3, methods: [{ method: 'lora', space: { r: [1, 2, 4, 8, 16] } }] },
    { baseline: 'none', methods: [{ method: 'prompt', space: { init: ['random', 'vocab', 'text'], initText: ['a', 'b'], promptLength: [8, 16] } }] },
    { methods: [{ method: 'full' }, { method: 'adapter', space: { placement: { choices: ['houlsby', 'pfeiffer'] }, bottleneck: { min: 4, max: 64, scale: 'log', step: 2 } } }] },
    { strategy: { type: 'random', count: 3, seed: 9 }, methods: [{ method: 'prefix', space: { reparameterize: [true, false], reparamHidden: [32, 64] } }] },
  ];
  cases.forEach((c, i) => {
    it(`case ${i}`, () => {
      const s = spec(c);
      expect(expandSweep(s)).toHaveLength(countTrials(s));
    });
  });
});

describe('gradientCheckpointing', () => {
  it('is off by default, can be set, searched and overridden per method, and a bad value names the field', () => {
    expect(expandSweep(spec({ training: { maxSteps: 5 }, methods: [{ method: 'lora' }] }))[0].training.gradientCheckpointing).toBe(false);
    const trials = expandSweep(spec({
      training: { maxSteps: 5, gradientCheckpointing: [false, true] },
      methods: [{ method: 'lora', training: { gradientCheckpointing: true } }],
    }));
    expect(trials.filter((t) => t.method === 'full').map((t) => t.training.gradientCheckpointing).sort()).toEqual([false, true]);
    expect(trials.filter((t) => t.method === 'lora').every((t) => t.training.gradientCheckpointing === true)).toBe(true);
    const r = checkSweepSpec({ name: 'gc', task: 'spam', baseModel: 'builtin', training: { maxSteps: 5, gradientCheckpointing: 'yes' }, methods: [{ method: 'lora' }] });
    expect(r.ok ? '' : r.errors.join('\n')).toMatch(/training\.gradientCheckpointing/);
  });
});

describe('pooling', () => {
  it('is a training parameter that can be searched and overridden per method', () => {
    const trials = expandSweep(spec({
      training: { maxSteps: 5, pooling: ['last', 'mean'] },
      methods: [{ method: 'lora', training: { pooling: 'mean' } }],
    }));
    expect(trials.filter((t) => t.method === 'full').map((t) => t.training.pooling).sort()).toEqual(['last', 'mean']);
    expect(trials.filter((t) => t.method === 'lora').every((t) => t.training.pooling === 'mean')).toBe(true);
  });

  it('names the field and the allowed values when it is wrong', () => {
    const r = checkSweepSpec({ name: 'p', task: 'spam', baseModel: 'builtin', training: { maxSteps: 5, pooling: 'max' }, methods: [{ method: 'lora' }] });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.errors.join('\n')).toMatch(/training\.pooling.*last.*mean/);
  });
});
