// One method registry across the workspaces (no database, no browser): every registered method
// as the sweep spec expands it, and the defaults a sweep trains with against the ones
// `attachPeft` and `peft-lab train` use. Nothing here names a method to cover it.
import { describe, expect, it } from 'vitest';
import { LoraConfigSchema, METHOD_DECLARATIONS } from '@peft-lab/engine';
import { METHOD_HYPERPARAMETERS, expandSweep, validateSweepSpec } from '@peft-lab/sweeps';

/** A sweep with one bare entry per registered method (defaults everywhere). */
const spec = validateSweepSpec({
  name: 'every-method', task: 'spam', training: { maxSteps: 2 }, baseline: 'none',
  methods: METHOD_DECLARATIONS.map((d) => ({ method: d.name })),
});
const trials = expandSweep(spec);

describe('the method registry across workspaces', () => {
  it('gives a sweep one trial per registered method, in registry order', () => {
    expect(trials.map((t) => t.method)).toEqual(METHOD_DECLARATIONS.map((d) => d.name));
  });

  it("trains LoRA with one default alpha: the sweep's is the engine's (peft's 8), so peft-lab train --set r=8 and a sweep agree", () => {
    const engine = LoraConfigSchema.parse({}).alpha;
    expect(engine).toBe(8);
    expect(METHOD_HYPERPARAMETERS.lora.find((p) => p.name === 'alpha')?.default).toBe(engine);
    expect(trials.find((t) => t.method === 'lora')?.hyperparameters.alpha).toBe(engine);
  });
});
