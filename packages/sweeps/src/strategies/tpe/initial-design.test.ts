import { describe, expect, it } from 'vitest';
import { createRng } from '../../prng.js';
import { parseSweepSpec } from '../../spec.js';
import { searchEntries } from '../../search-space.js';
import type { HyperValue } from '../../hyperparameters.js';
import { initialDesignValues, stratifiedDraw } from './initial-design.js';
import { searchInputs, tpeDimension } from './index.js';

const spec = parseSweepSpec(`
name: t
task: spam
training: { maxSteps: 10, lr: { min: 1.0e-5, max: 1.0e-1, scale: log } }
methods:
  - method: lora
    space: { r: { min: 1, max: 64, scale: log }, dropout: { min: 0, max: 0.3, step: 0.05 }, useRslora: [true, false] }
  - method: prefix
    space: { prefixLength: { min: 2, max: 32 }, reparameterize: [true, false], reparamHidden: [64, 128, 256] }
strategy: { type: tpe, seed: 1 }
budget: { maxTrials: 40 }
`);
const entries = searchEntries(spec);
const inputs = searchInputs(spec, entries);
const at = (method: string) => entries.findIndex((e) => e.method === method);
const dimension = (k: number) => (d: (typeof entries)[number]['dims'][number]) => tpeDimension(d, inputs[k][d.def.name]);

/** n draws one after another, each against the ones before. */
function sequence(n: number, seed: number, draw: (taken: number[], rng: ReturnType<typeof createRng>) => number): number[] {
  const rng = createRng(seed);
  const taken: number[] = [];
  for (let i = 0; i < n; i++) taken.push(draw(taken, rng));
  return taken;
}

const eighthsCovered = (xs: number[]) => new Set(xs.map((x) => Math.min(7, Math.floor(x * 8)))).size;

describe('stratifiedDraw', () => {
  it('lands in an empty stratum of n + 1', () => {
    // strata of 4 on [0, 1]: 0.05 and 0.15 in the first, 0.3 in the second; the last two are empty
    for (let seed = 0; seed < 50; seed++) expect(stratifiedDraw([0.05, 0.15, 0.3], 0, 1, createRng(seed))).toBeGreaterThanOrEqual(0.5);
  });

  it('covers an axis more evenly than uniform draws, with a uniform marginal', () => {
    const seeds = [...Array(200).keys()];
    const stratified = seeds.map((s) => sequence(8, s, (t, rng) => stratifiedDraw(t, 0, 1, rng)));
    const uniform = seeds.map((s) => sequence(8, s, (_, rng) => rng.next()));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // 8 uniform draws cover 8·(1 − (7/8)^8) ≈ 5.25 of 8 eighths on average
    expect(mean(uniform.map(eighthsCovered))).toBeLessThan(5.6);
    expect(mean(stratified.map(eighthsCovered))).toBeGreaterThan(6.5);
    // not pushed to the ends: the mean draw is the middle, and each quarter gets about a quarter
    const all = stratified.flat();
    expect(Math.abs(mean(all) - 0.5)).toBeLessThan(0.02);
    for (let q = 0; q < 4; q++) expect(all.filter((x) => Math.floor(x * 4) === q).length / all.length).toBeCloseTo(0.25, 1);
  });
});

describe('initialDesignValues', () => {
  const lora = at('lora');
  const prefix = at('prefix');

  it('log ranges by decade; integers, steps and choices on their grid', () => {
    // lr 1e-5 and 1e-4: both in the first of three strata of four decades, so the next is above 10^-3.67
    const earlier = [
      { lr: 1e-5, r: 1, dropout: 0, useRslora: true },
      { lr: 1e-4, r: 2, dropout: 0.05, useRslora: true },
    ];
    for (let seed = 0; seed < 30; seed++) {
      const v = initialDesignValues(entries[lora], earlier, dimension(lora), createRng(seed));
      expect(Math.log10(v.lr as number)).toBeGreaterThanOrEqual(-5 + 4 / 3 - 1e-9);
      expect(Number.isInteger(v.r)).toBe(true);
      expect(v.r as number).toBeGreaterThanOrEqual(3);
      expect([0.1, 0.15, 0.2, 0.25, 0.3].some((x) => Math.abs((v.dropout as number) - x) < 1e-9)).toBe(true);
      expect(v.useRslora).toBe(false);
    }
  });

  it('a conditional parameter only where it applies, spread over the trials that have it', () => {
    const earlier: Record<string, HyperValue>[] = [
      { prefixLength: 2, reparameterize: true, reparamHidden: 64, lr: 1e-3 },
      { prefixLength: 30, reparameterize: false, lr: 1e-2 },
    ];
    for (let seed = 0; seed < 30; seed++) {
      const v = initialDesignValues(entries[prefix], earlier, dimension(prefix), createRng(seed));
      expect('reparamHidden' in v).toBe(v.reparameterize === true);
      if (v.reparameterize === true) expect(v.reparamHidden).not.toBe(64);
    }
  });

  it('with no earlier trial, draws as random search does', () => {
    const v = initialDesignValues(entries[lora], [], dimension(lora), createRng(4));
    expect(Object.keys(v).sort()).toEqual(entries[lora].dims.map((d) => d.def.name).sort());
  });
});
