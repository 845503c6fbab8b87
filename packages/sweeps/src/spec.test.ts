import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSweepSpec, parseSweepSpec, validateSweepSpec, type SweepSpecInput } from './spec.js';
import { SpecSyntaxError, SpecValidationError } from './errors.js';
import { METHOD_HYPERPARAMETERS, METHOD_NAMES } from './hyperparameters.js';

const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));
const base = { name: 't', task: 'spam', training: { maxSteps: 10 } };
/** Every registered method, as an unknown-method error lists them (full, lora, adapter, prefix, prompt, …). */
const METHODS = METHOD_NAMES.join(', ');

/** The error lines for a spec built from `base` plus `extra`. */
function errorsOf(extra: Record<string, unknown>): string[] {
  const r = checkSweepSpec({ ...base, ...extra });
  if (r.ok) throw new Error('expected the spec to be rejected');
  return r.errors;
}
const lora = (space: Record<string, unknown>) => ({ methods: [{ method: 'lora', space }] });

describe('example specs', () => {
  const files = readdirSync(examplesDir).filter((f) => /\.(ya?ml|json)$/.test(f));
  it('finds the examples', () => {
    expect(files).toEqual(expect.arrayContaining(['lora-rank-sweep.yaml', 'all-methods.yaml', 'tiny-smoke.yaml', 'gpt2-memory.yaml']));
  });
  for (const f of files) {
    it(`accepts ${f}`, () => {
      const spec = parseSweepSpec(readFileSync(examplesDir + f, 'utf8'), f.endsWith('.json') ? 'json' : 'yaml');
      expect(spec.methods.length).toBeGreaterThan(0);
    });
  }
});

describe('parseSweepSpec', () => {
  it('reads JSON and YAML to the same spec, with defaults applied', () => {
    const obj: SweepSpecInput = { name: 'j', task: 'spam', methods: [{ method: 'lora', space: { r: [2, 4] } }], training: { epochs: 1 } };
    const fromJson = parseSweepSpec(JSON.stringify(obj), 'json');
    const fromYaml = parseSweepSpec('name: j\ntask: spam\nmethods:\n  - method: lora\n    space: { r: [2, 4] }\ntraining: { epochs: 1 }\n');
    expect(fromYaml).toEqual(fromJson);
    expect(fromJson).toMatchObject({ baseModel: 'builtin', seeds: 1, strategy: { type: 'grid' }, budget: {}, earlyStopping: { type: 'none' }, baseline: 'full' });
  });
  it('reports malformed text as a SpecSyntaxError', () => {
    expect(() => parseSweepSpec('{"name": ', 'json')).toThrow(SpecSyntaxError);
    expect(() => parseSweepSpec('name: [unclosed')).toThrow(/not valid YAML/);
  });
  it('throws SpecValidationError carrying the lines', () => {
    try {
      validateSweepSpec({ ...base, ...lora({ r: 0 }) });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SpecValidationError);
      expect((e as SpecValidationError).lines).toEqual(['methods[0].space.r: must be an integer ≥ 1 (got 0)']);
      expect((e as SpecValidationError).message).toContain('methods[0].space.r');
    }
  });
});

describe('error messages, one class at a time', () => {
  it('bounds of single values', () => {
    expect(errorsOf({ methods: [{ method: 'full' }, { method: 'lora', space: { r: 0 } }] })).toEqual(['methods[1].space.r: must be an integer ≥ 1 (got 0)']);
    expect(errorsOf(lora({ r: 2.5 }))).toEqual(['methods[0].space.r: must be an integer ≥ 1 (got 2.5)']);
    expect(errorsOf(lora({ alpha: 0 }))).toEqual(['methods[0].space.alpha: must be a number > 0 (got 0)']);
    expect(errorsOf(lora({ dropout: 1 }))).toEqual(['methods[0].space.dropout: must be a number in [0, 1) (got 1)']);
    expect(errorsOf(lora({ useRslora: 'yes' }))).toEqual(['methods[0].space.useRslora: must be true or false (got "yes")']);
    expect(errorsOf(lora({ targetModules: [] }))).toEqual(['methods[0].space.targetModules: must be a non-empty list of distinct module names (got [])']);
    expect(errorsOf({ training: { maxSteps: 10, lr: -1 }, methods: [{ method: 'full' }] })).toEqual(['training.lr: must be a number > 0 (got -1)']);
    expect(errorsOf({ methods: [{ method: 'adapter', space: { placement: 'middle' } }] })).toEqual([
      'methods[0].space.placement: must be one of houlsby, pfeiffer (got "middle")',
    ]);
  });
  it('unknown method', () => {
    expect(errorsOf({ methods: [{ method: 'loraa' }] })).toEqual([
      `methods[0].method: unknown method "loraa" (expected one of ${METHODS})`,
    ]);
    expect(errorsOf({ methods: [{ space: {} }] })).toEqual([`methods[0].method: required (expected one of ${METHODS})`]);
  });
  it('hyperparameter of another method, and training parameters in a space', () => {
    expect(errorsOf({ methods: [{ method: 'full' }, { method: 'lora' }, { method: 'prefix', space: { r: 4 } }] })).toEqual([
      'methods[2].space.r: not a hyperparameter of prefix (allowed: prefixLength, reparameterize, reparamHidden)',
    ]);
    expect(errorsOf({ methods: [{ method: 'full', space: { lr: 1e-3 } }] })).toEqual([
      'methods[0].space.lr: not a hyperparameter of full (full has no method-specific hyperparameters); lr is a training parameter: put it under training',
    ]);
  });
  it('unknown fields elsewhere', () => {
    expect(errorsOf({ methods: [{ method: 'full' }], sed: 3 })).toEqual([
      'sed: not a field of a sweep spec (allowed: name, description, baseModel, task, objective, objectives, methods, training, seeds, strategy, budget, earlyStopping, baseline)',
    ]);
    expect(errorsOf({ methods: [{ method: 'lora', training: { epochs: 2 } }] })).toEqual([
      'methods[0].training.epochs: not a per-method training parameter (allowed: lr, batchSize, evalEvery, warmupRatio, weightDecay, gradClip, maxSeqLen, gradientCheckpointing, pooling; epochs/maxSteps are set once for the sweep)',
    ]);
  });
  it('missing and wrong-typed top-level fields', () => {
    expect(checkSweepSpec({ name: 'x', methods: 'lora', training: { epochs: 1 } })).toEqual({
      ok: false,
      errors: ['task: required', 'methods: must be a list (got "lora")'],
    });
    expect(errorsOf({ methods: [] })).toEqual(['methods: must list at least 1 item']);
    expect(checkSweepSpec('just a string')).toEqual({ ok: false, errors: ['spec: must be an object (a mapping of fields) (got "just a string")'] });
  });
  it('epochs or maxSteps, exactly one', () => {
    expect(errorsOf({ training: {}, methods: [{ method: 'full' }] })).toEqual(['training: give exactly one of epochs or maxSteps (got neither)']);
    expect(errorsOf({ training: { epochs: 1, maxSteps: 5 }, methods: [{ method: 'full' }] })).toEqual(['training: give exactly one of epochs or maxSteps (got both)']);
  });
  it('lists: empty, bad element, duplicate', () => {
    expect(errorsOf(lora({ r: [] }))).toEqual(['methods[0].space.r: must list at least one value']);
    expect(errorsOf(lora({ r: [4, 0, 4] }))).toEqual([
      'methods[0].space.r[1]: must be an integer ≥ 1 (got 0)',
      'methods[0].space.r[2]: duplicate value 4',
    ]);
    expect(errorsOf(lora({ r: { choices: [8, -1] } }))).toEqual(['methods[0].space.r.choices[1]: must be an integer ≥ 1 (got -1)']);
  });
  it('ranges', () => {
    expect(errorsOf(lora({ r: { min: 8, max: 4 } }))).toEqual(['methods[0].space.r: range min 8 is greater than max 4']);
    expect(errorsOf({ training: { maxSteps: 10, lr: { min: 0, max: 0.1, scale: 'log' } }, methods: [{ method: 'full' }], strategy: { type: 'random', count: 2 } })).toEqual(['training.lr.min: must be a number > 0 (got 0)']);
    expect(errorsOf(lora({ r: { min: 1, max: 8, type: 'float' } }))).toEqual(['methods[0].space.r.type: must be int (r is an integer hyperparameter)']);
    expect(errorsOf(lora({ r: { min: 1, max: 8, stepp: 2 } }))).toEqual(['methods[0].space.r.stepp: not a field of a range (allowed: min, max, step, scale, type)']);
    expect(errorsOf(lora({ r: { min: 1, max: 64, scale: 'log', step: 1 } }))).toEqual(['methods[0].space.r.step: must be a factor > 1 for a log-scale range (got 1)']);
    expect(errorsOf(lora({ alpha: { min: 0.5, max: 4, scale: 'log' } }))).toEqual([
      'methods[0].space.alpha: a log-scale range needs step (a factor > 1) for grid search; or use strategy random',
    ]);
    expect(errorsOf(lora({ dropout: { min: 0, max: 0.3 } }))).toEqual(['methods[0].space.dropout: a float range needs step for grid search; or use strategy random']);
    expect(errorsOf(lora({ placement: { min: 1, max: 2 } }))).toEqual([
      `methods[0].space.placement: not a hyperparameter of lora (allowed: ${METHOD_HYPERPARAMETERS.lora.map((p) => p.name).join(', ')})`,
    ]);
    expect(errorsOf({ methods: [{ method: 'adapter', space: { placement: { min: 1, max: 2 } } }] })).toEqual([
      'methods[0].space.placement: must be one of houlsby, pfeiffer; a range { min, max } only suits numeric hyperparameters',
    ]);
  });
  it('a log-scale range needs min > 0 even where the parameter allows 0', () => {
    expect(errorsOf({ training: { maxSteps: 10, weightDecay: { min: 0, max: 0.1, scale: 'log' } }, methods: [{ method: 'full' }], strategy: { type: 'random', count: 2 } })).toEqual([
      'training.weightDecay.min: must be > 0 for a log-scale range (got 0)',
    ]);
  });
  it('exclusive and conditional hyperparameters', () => {
    expect(errorsOf({ methods: [{ method: 'adapter', space: { bottleneck: 8, reductionFactor: 16 } }] })).toEqual([
      'methods[0].space.bottleneck: give bottleneck or reductionFactor, not both',
    ]);
    expect(errorsOf({ methods: [{ method: 'prompt', space: { init: ['random', 'text'] } }] })).toEqual(['methods[0].space.initText: required when init is "text"']);
    expect(errorsOf({ methods: [{ method: 'prompt', space: { initText: 'Classify:' } }] })).toEqual(['methods[0].space.initText: only used when init is "text"']);
    expect(errorsOf({ methods: [{ method: 'prefix', space: { reparameterize: false, reparamHidden: 64 } }] })).toEqual([
      'methods[0].space.reparamHidden: only used when reparameterize is true',
    ]);
  });
  it('strategy, seeds, budget, early stopping', () => {
    expect(errorsOf({ methods: [{ method: 'full' }], strategy: { type: 'tpe', count: 20 } })).toEqual(['strategy.count: not a field of a tpe strategy (allowed: type, seed, startupTrials, candidates)']);
    expect(errorsOf({ methods: [{ method: 'full' }], strategy: { type: 'bayes' } })).toEqual(['strategy.type: unknown type "bayes" (expected one of grid, random, tpe)']);
    expect(errorsOf({ methods: [{ method: 'full' }], strategy: { type: 'random' } })).toEqual(['strategy.count: required']);
    expect(errorsOf({ methods: [{ method: 'full' }], seeds: [1, 2, 1] })).toEqual(['seeds[2]: duplicate seed 1']);
    expect(errorsOf({ methods: [{ method: 'full' }], seeds: 0 })).toEqual(['seeds: must be ≥ 1 (got 0)']);
    expect(errorsOf({ methods: [{ method: 'full' }], seeds: 'three' })).toEqual(['seeds: must be a count of seeds (an integer ≥ 1) or a list of seeds (integers ≥ 0) (got "three")']);
    expect(errorsOf({ ...lora({ r: [1, 2, 4, 8, 16] }), seeds: 3, budget: { maxTrials: 10 } })).toEqual([
      'budget.maxTrials: the sweep expands to 18 trials, more than maxTrials 10 (narrow the space, use fewer seeds or raise maxTrials)',
    ]);
    expect(errorsOf({ methods: [{ method: 'full' }], earlyStopping: { type: 'median', afterEvals: 0 } })).toEqual(['earlyStopping.afterEvals: must be ≥ 1 (got 0)']);
    expect(errorsOf({ methods: [{ method: 'full' }], baseline: 'yes' })).toEqual(['baseline: must be one of full, none (got "yes")']);
  });
  it('reports every independent problem at once', () => {
    const errors = errorsOf({ name: '', methods: [{ method: 'lora', space: { r: 0, alpha: -1 } }, { method: 'nope' }] });
    expect(errors).toEqual([
      'name: must not be empty',
      'methods[0].space.r: must be an integer ≥ 1 (got 0)',
      'methods[0].space.alpha: must be a number > 0 (got -1)',
      `methods[1].method: unknown method "nope" (expected one of ${METHODS})`,
    ]);
  });
});

describe('README', () => {
  it('its full YAML example is a valid spec', () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)![1];
    const spec = parseSweepSpec(yaml);
    expect(spec.methods.map((m) => m.method)).toEqual(['lora', 'adapter', 'prefix', 'prompt']);
  });
});
