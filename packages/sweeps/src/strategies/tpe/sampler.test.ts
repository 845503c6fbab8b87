import { describe, expect, it } from 'vitest';
import { createRng } from '../../prng.js';
import { parseSweepSpec } from '../../spec.js';
import { searchEntries } from '../../search-space.js';
import { suggestTrial, type TrialOutcome } from '../../suggest.js';
import { sampleEntryValues } from '../sample.js';
import { initialDesignSuggestion } from './initial-design.js';
import { searchInputs, tpeDimension, tpeSuggest, type Observation } from './index.js';
import { chooseEntry, designTrials, entrySplit, LEADER_MODELLED_FROM, METHOD_EXPLORATION, methodDesignTrials } from './sampler.js';
import { splitObservations } from './split.js';

const yaml = `
name: t
task: spam
training: { maxSteps: 10, lr: { min: 1.0e-5, max: 1.0e-2, scale: log } }
methods:
  - method: lora
    space:
      r: { min: 1, max: 64, scale: log }
      alpha: { min: 1, max: 64, step: 2, scale: log }
      dropout: { min: 0, max: 0.3, step: 0.05 }
      useRslora: [true, false]
  - method: prefix
    space: { prefixLength: { min: 2, max: 32 }, reparameterize: [true, false], reparamHidden: [64, 128, 256] }
strategy: { type: tpe, seed: 1, startupTrials: 6 }
budget: { maxTrials: 40 }
`;
const spec = parseSweepSpec(yaml);
const entries = searchEntries(spec);
const inputs = searchInputs(spec, entries);
const LORA = entries.findIndex((e) => e.method === 'lora');
const PREFIX = entries.findIndex((e) => e.method === 'prefix');
const opts = { directions: ['maximize' as const], candidates: 24, inputs };

function dimOf(entry: number, name: string) {
  const d = entries[entry].dims.find((x) => x.def.name === name)!;
  return tpeDimension(d, inputs[entry][name]);
}

/** An objective where LoRA with r near 8 and lr near 1e-3 is best; prefix and full lag behind. */
function score(method: string, v: Record<string, unknown>): number {
  const lr = Math.log10(v.lr as number);
  const base = method === 'lora' ? 0.9 - 0.02 * Math.log2((v.r as number) / 8) ** 2 : method === 'prefix' ? 0.75 : 0.7;
  return base - 0.05 * (lr + 3) ** 2;
}

function drive(seedYaml = yaml): TrialOutcome[] {
  const s = parseSweepSpec(seedYaml);
  const history: TrialOutcome[] = [];
  for (let t = suggestTrial(s, history); t; t = suggestTrial(s, history)) {
    history.push({ trial: t, value: score(t.method, { ...t.hyperparameters, ...t.training }), state: 'completed' });
  }
  return history;
}

describe('how each dimension is modelled', () => {
  it('log float range, log int range, stepped linear, log with a factor, list, bool, int range', () => {
    expect(dimOf(LORA, 'lr').space).toEqual({ type: 'numeric', low: 1e-5, high: 1e-2, log: true, step: null });
    expect(dimOf(LORA, 'r').space).toEqual({ type: 'numeric', low: 1, high: 64, log: true, step: 1 });
    expect(dimOf(LORA, 'dropout').space).toEqual({ type: 'numeric', low: 0, high: 0.3, log: false, step: 0.05 });
    // 1, 2, 4, … 64: the index, evenly spaced in log space
    expect(dimOf(LORA, 'alpha').space).toEqual({ type: 'numeric', low: 0, high: 6, log: false, step: 1 });
    expect(dimOf(LORA, 'alpha').toModel(16)).toBe(4);
    expect(dimOf(LORA, 'alpha').fromModel(4)).toBe(16);
    expect(dimOf(LORA, 'useRslora').space).toEqual({ type: 'categorical', choices: 2 });
    expect(dimOf(PREFIX, 'reparamHidden').space).toEqual({ type: 'categorical', choices: 3 });
    expect(dimOf(PREFIX, 'reparamHidden').toModel(128)).toBe(1);
    expect(dimOf(PREFIX, 'prefixLength').space).toEqual({ type: 'numeric', low: 2, high: 32, log: false, step: 1 });
    // fixed values (maxSteps: 10, batchSize's default) are not modelled
    expect(dimOf(LORA, 'maxSteps').space).toBeNull();
    // a stepped draw maps back onto the grid's tidy values (0.15, not 0.15000000000000002)
    expect(dimOf(LORA, 'dropout').fromModel(0.15000000000000002)).toBe(0.15);
  });
});

describe('tpeSuggest', () => {
  it('conditional parameters: never suggested under the wrong method or branch', () => {
    const h = drive();
    expect(h).toHaveLength(40);
    for (const { trial } of h) {
      const keys = Object.keys(trial.hyperparameters);
      if (trial.method !== 'lora') expect(keys).not.toContain('r');
      if (trial.method !== 'prefix') expect(keys).not.toContain('prefixLength');
      if (trial.method === 'prefix') expect(keys.includes('reparamHidden')).toBe(trial.hyperparameters.reparameterize === true);
      if (trial.method === 'lora') expect(Number.isInteger(trial.hyperparameters.r)).toBe(true);
      expect(trial.training.lr).toBeGreaterThanOrEqual(1e-5);
      expect(trial.training.lr).toBeLessThanOrEqual(1e-2);
    }
  });

  it('a parameter is never fitted from trials without it (bogus r on prefix trials changes nothing)', () => {
    // 10 trials of each entry drawn at random, LoRA's scoring best: the below set is LoRA's
    const rng = createRng(3);
    const observations: Observation[] = [...Array(30).keys()].map((i) => {
      const entry = [LORA, PREFIX, 0][i % 3];
      const values = sampleEntryValues(entries[entry], rng);
      return { entry, values, objectives: [score(entries[entry].method, values)], state: 'completed' };
    });
    const polluted = observations.map((o) => (o.entry === LORA ? o : { ...o, values: { ...o.values, r: 64, alpha: 1 } }));
    const suggest = (obs: Observation[]) => [...Array(20).keys()].map((s) => tpeSuggest(entries, obs, createRng(s), opts));
    const clean = suggest(observations);
    expect(clean.filter((s) => s.entry === LORA).length).toBeGreaterThan(5);
    expect(suggest(polluted)).toEqual(clean);
    // and LoRA trials' own r does move it
    const moved = observations.map((o) => (o.entry === LORA ? { ...o, values: { ...o.values, r: 64 } } : o));
    expect(suggest(moved).map((s) => s.values.r)).not.toEqual(clean.map((s) => s.values.r));
  });

  it('deterministic for a given rng, and leaves the observations as they were', () => {
    const h = drive().slice(0, 20);
    const observations: Observation[] = h.map((x) => ({
      entry: entries.findIndex((e) => e.method === x.trial.method && e.entry === x.trial.entry),
      values: { ...x.trial.training, ...x.trial.hyperparameters },
      objectives: [x.value],
      state: 'completed',
    }));
    const copy = structuredClone(observations);
    const a = tpeSuggest(entries, observations, createRng(42), opts);
    expect(tpeSuggest(entries, observations, createRng(42), opts)).toEqual(a);
    expect(observations).toEqual(copy);
    expect(drive().map((x) => x.trial)).toEqual(drive().map((x) => x.trial));
  });

  it('after the startup it concentrates on the best method and its good region', () => {
    const h = drive();
    const late = h.slice(20);
    expect(late.filter((x) => x.trial.method === 'lora').length).toBeGreaterThanOrEqual(14);
    const lrs = late.filter((x) => x.trial.method === 'lora').map((x) => Math.log10(x.trial.training.lr));
    const nearOptimum = lrs.filter((l) => Math.abs(l + 3) < 0.75).length;
    expect(nearOptimum / lrs.length).toBeGreaterThan(0.6);
  });

  it('several objectives: suggests from the Pareto split, conditional rules kept', () => {
    const h = drive().slice(0, 25);
    const observations: Observation[] = h.map((x, i) => ({
      entry: entries.findIndex((e) => e.method === x.trial.method && e.entry === x.trial.entry),
      values: { ...x.trial.training, ...x.trial.hyperparameters },
      // accuracy (max) against a cost that grows with r (min); prefix trials cost 1
      objectives: [x.value, x.trial.method === 'lora' ? (x.trial.hyperparameters.r as number) : 1],
      state: i === 24 ? 'running' : 'completed',
    }));
    const mo = { ...opts, directions: ['maximize' as const, 'minimize' as const] };
    for (let seed = 0; seed < 10; seed++) {
      const s = tpeSuggest(entries, observations, createRng(seed), mo);
      expect(s).toEqual(tpeSuggest(entries, observations, createRng(seed), mo));
      if (entries[s.entry].method === 'lora') expect(s.values.r).toBeGreaterThanOrEqual(1);
      else expect(s.values).not.toHaveProperty('r');
    }
  });

  it('through suggestTrial: failed, pruned (with step), running trials and two objectives', () => {
    const mo = parseSweepSpec(yaml.replace('task: spam', 'task: spam\nobjectives: [{ metric: accuracy }, { metric: trainable_params }]'));
    const history: TrialOutcome[] = [];
    for (let t = suggestTrial(mo, history); t; t = suggestTrial(mo, history)) {
      const i = t.index;
      const acc = score(t.method, { ...t.hyperparameters, ...t.training });
      const cost = t.method === 'lora' ? (t.hyperparameters.r as number) * 1000 : t.method === 'full' ? 1e6 : 5000;
      if (i % 7 === 3) history.push({ trial: t, value: null, values: [null, null], state: 'failed' });
      else if (i % 7 === 5) history.push({ trial: t, value: acc - 0.1, values: [acc - 0.1, cost], state: 'pruned', step: 20 });
      else if (i % 11 === 10) history.push({ trial: t, value: null, values: [null, null], state: 'running' });
      else history.push({ trial: t, value: acc, values: [acc, cost], state: 'completed' });
    }
    expect(history).toHaveLength(40);
    expect(new Set(history.map((h) => h.trial.configKey)).size).toBe(40);
    for (const { trial } of history) if (trial.method !== 'lora') expect(trial.hyperparameters).not.toHaveProperty('r');
  });

  describe('departures from Optuna with several method entries (sampler.ts)', () => {
    const obs = (entry: number, value: number, state: Observation['state'] = 'completed'): Observation => ({ entry, values: {}, objectives: [value], state });
    const max = ['maximize' as const];

    it('the method choice: an entry never tried first, then best rank minus the count bonus', () => {
      expect(chooseEntry(3, [obs(0, 0.9), obs(1, 0.5)], max, createRng(0))).toBe(2);
      // entry 0 has the best trial but 12 trials; entry 1 is second best with 2: revisited
      const h = [...Array(12).keys()].map((i) => obs(0, i === 0 ? 0.9 : 0.6 - i * 0.001)).concat([obs(1, 0.88), obs(1, 0.5), obs(2, 0.1), obs(2, 0.2)]);
      expect(chooseEntry(3, h, max, createRng(0))).toBe(1);
      // with no exploration weight the best-so-far wins
      expect(chooseEntry(3, h, max, createRng(0), 0)).toBe(0);
      // an entry whose trials all failed ranks worst, but is not chosen forever
      const failed = [obs(0, 0.9), obs(0, 0.8), obs(0, 0.85), { ...obs(1, 0), objectives: [null], state: 'failed' as const }, { ...obs(1, 0), objectives: [null], state: 'failed' as const }];
      expect(chooseEntry(2, failed, max, createRng(0))).toBe(0);
    });

    it('the method choice: a raised bonus while a method has fewer than 2 trials per searched parameter, never a lowered one', () => {
      // entry 0 is best so far; both have 3 trials
      const h = [obs(0, 0.9), obs(0, 0.8), obs(0, 0.7), obs(1, 0.85), obs(1, 0.5), obs(1, 0.4)];
      expect(chooseEntry(2, h, max, createRng(0))).toBe(0);
      expect(chooseEntry(2, h, max, createRng(0), METHOD_EXPLORATION, [1, 1])).toBe(0);
      // entry 1 searches 6 parameters: 3 trials say little about it, it is revisited
      expect(chooseEntry(2, h, max, createRng(0), METHOD_EXPLORATION, [1, 6])).toBe(1);
      // a one-parameter method keeps the plain bonus (no starving full fine-tuning): the best stays chosen
      expect(chooseEntry(2, h, max, createRng(0), METHOD_EXPLORATION, [6, 1])).toBe(0);
      // once a method has 2 trials per parameter its bonus is the plain one again
      const many = [...Array(12).keys()].map((i) => obs(1, 0.85 - i * 0.01));
      const h2 = [...Array(12).keys()].map((i) => obs(0, 0.9 - i * 0.01)).concat(many);
      expect(chooseEntry(2, h2, max, createRng(0), METHOD_EXPLORATION, [1, 6])).toBe(chooseEntry(2, h2, max, createRng(0)));
    });

    it("a method's parameters: the global below trials of it plus its own best", () => {
      // entry 0 fills the global below set; entry 1's own best (0.7) joins its below set
      const h = [...Array(20).keys()].map((i) => obs(0, 0.8 + i * 0.001)).concat([obs(1, 0.7), obs(1, 0.2), obs(1, 0.3, 'running')]);
      const global = splitObservations(h, max);
      expect(global.below.every((i) => h[i].entry === 0)).toBe(true);
      expect(entrySplit(h, max, global, 1)).toEqual({ below: [20], above: [21, 22] });
      expect(entrySplit(h, max, global, 0).below).toEqual(global.below);
    });

    it('the design share: 2 per searched parameter plus 2, at least 7', () => {
      expect([0, 1, 2, 3, 5, 7].map(methodDesignTrials)).toEqual([7, 7, 7, 8, 12, 16]);
      // full searches lr; LoRA r, alpha, dropout, useRslora and lr; prefix its three and lr
      expect(designTrials(entries, inputs)).toEqual(entries.map((e) => (e.method === 'lora' ? 12 : e.method === 'prefix' ? 10 : 7)));
    });

    it('the initial design: the method furthest from its share, stratified values, until each has its share', () => {
      const h = drive();
      const entryOf = (x: TrialOutcome) => entries.findIndex((e) => e.method === x.trial.method && e.entry === x.trial.entry);
      const shares = designTrials(entries, inputs);
      const total = shares.reduce((a, b) => a + b, 0);
      expect(entries.map((_, k) => h.slice(0, total).filter((x) => entryOf(x) === k).length)).toEqual(shares);
      // the same rng: the tie between the furthest ones, then the design's draws (no method has 4 trials yet)
      const observations: Observation[] = h.slice(0, 7).map((x) => ({
        entry: entryOf(x),
        values: { ...x.trial.training, ...x.trial.hyperparameters },
        objectives: [x.value],
        state: 'completed',
      }));
      const own = entries.map((_, k) => observations.filter((o) => o.entry === k).length);
      expect(Math.max(...own)).toBeLessThan(LEADER_MODELLED_FROM);
      const share = own.map((n, k) => n / shares[k]);
      const furthest = share.flatMap((f, k) => (f === Math.min(...share) ? [k] : []));
      for (let seed = 0; seed < 10; seed++) {
        const s = tpeSuggest(entries, observations, createRng(seed), opts);
        expect(furthest).toContain(s.entry);
        const rng = createRng(seed);
        rng.int(furthest.length);
        expect(s).toEqual(initialDesignSuggestion(entries, observations, s.entry, inputs, rng));
      }
    });

    it(`the initial design: the leading method is modelled in its slots once it has ${LEADER_MODELLED_FROM} judged trials`, () => {
      const at = (entry: number, lr: number, value: number, state: Observation['state'] = 'completed'): Observation => {
        const values: Record<string, unknown> = { lr };
        if (entry === LORA) Object.assign(values, { r: 8, alpha: 16, dropout: 0.1, useRslora: true });
        if (entry === PREFIX) Object.assign(values, { prefixLength: 8, reparameterize: false });
        return { entry, values: values as Observation['values'], objectives: [value], state };
      };
      const FULL = entries.findIndex((e) => e.method === 'full');
      // LoRA leads (0.9) and is furthest from its share (4 of 12, against 3 of 7 and 4 of 10)
      const others = [at(FULL, 1e-4, 0.6), at(FULL, 1e-3, 0.6), at(FULL, 1e-2, 0.6), ...[1e-5, 1e-4, 1e-3, 1e-2].map((lr) => at(PREFIX, lr, 0.5))];
      const lora = [at(LORA, 1e-3, 0.9), at(LORA, 1e-5, 0.4), at(LORA, 1e-2, 0.4), at(LORA, 3e-5, 0.4)];
      const running = [...lora.slice(0, 3), { ...lora[3], objectives: [null], state: 'running' as const }];
      for (let seed = 0; seed < 10; seed++) {
        const modelled = tpeSuggest(entries, [...others, ...lora], createRng(seed), opts);
        expect(modelled.entry).toBe(LORA);
        expect(modelled).not.toEqual(initialDesignSuggestion(entries, [...others, ...lora], LORA, inputs, createRng(seed)));
        // with one of its four still running it has 3 judged trials: a design draw
        const design = tpeSuggest(entries, [...others, ...running], createRng(seed), opts);
        const rng = createRng(seed);
        rng.int(1); // the tie-break among the furthest, here LoRA alone
        expect(design).toEqual(initialDesignSuggestion(entries, [...others, ...running], LORA, inputs, rng));
      }
    });
  });
});

