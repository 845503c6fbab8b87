import { describe, expect, it } from 'vitest';
import { expandSweep, parseSweepSpec, suggestTrial, type TrialOutcome } from './index.js';

const tpeYaml = `
name: t
task: spam
training: { maxSteps: 10, lr: { min: 1.0e-5, max: 1.0e-2, scale: log } }
methods:
  - method: lora
    space: { r: [2, 4, 8, 16] }
  - method: prefix
    space: { prefixLength: { min: 2, max: 32 } }
strategy: { type: tpe, seed: 7, startupTrials: 5 }
budget: { maxTrials: 12 }
`;

/** Drives the search to its budget with `f` as the objective (as the acceptance check does). */
function drive(yaml: string, f: (t: TrialOutcome['trial']) => number): TrialOutcome[] {
  const spec = parseSweepSpec(yaml);
  const history: TrialOutcome[] = [];
  for (let t = suggestTrial(spec, history); t; t = suggestTrial(spec, history)) history.push({ trial: t, value: f(t), state: 'completed' });
  return history;
}

describe('suggestTrial', () => {
  it('grid and random: the expansion, one trial at a time, then null', () => {
    const spec = parseSweepSpec('name: g\ntask: spam\ntraining: { maxSteps: 5 }\nmethods: [{ method: lora, space: { r: [4, 8] } }]\nseeds: 2');
    const all = expandSweep(spec);
    const history: TrialOutcome[] = [];
    for (let t = suggestTrial(spec, history); t; t = suggestTrial(spec, history)) history.push({ trial: t, value: 0.5, state: 'completed' });
    expect(history.map((h) => h.trial)).toEqual(all);
  });
  it('tpe: maxTrials trials, distinct, the baseline and every entry in the startup, indices in order', () => {
    const h = drive(tpeYaml, (t) => Math.log10(t.training.lr));
    expect(h).toHaveLength(12);
    expect(h.map((x) => x.trial.index)).toEqual([...Array(12).keys()]);
    expect(new Set(h.map((x) => x.trial.configKey)).size).toBe(12);
    expect(h.slice(0, 3).map((x) => x.trial.method)).toEqual(['full', 'lora', 'prefix']);
    for (const { trial } of h) {
      if (trial.method === 'lora') expect(Object.keys(trial.hyperparameters)).toContain('r');
      if (trial.method !== 'lora') expect(trial.hyperparameters).not.toHaveProperty('r');
      if (trial.method !== 'prefix') expect(trial.hyperparameters).not.toHaveProperty('prefixLength');
    }
  });
  it('tpe: the same seed and results give the same trials', () => {
    const f = (t: TrialOutcome['trial']) => -Math.abs(Math.log10(t.training.lr) + 3);
    expect(drive(tpeYaml, f).map((x) => x.trial)).toEqual(drive(tpeYaml, f).map((x) => x.trial));
    expect(drive(tpeYaml, f).map((x) => x.trial.configKey)).not.toEqual(drive(tpeYaml.replace('seed: 7', 'seed: 8'), f).map((x) => x.trial.configKey));
  });
});
