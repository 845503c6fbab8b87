// The sweep spec against the engine's method registry: every registered method has a spec
// entry, a space schema and a form section built from its declaration, a bare entry expands to
// the declared sweep defaults, and a sweep's default of every parameter is the engine's. Nothing
// here names a method to cover it.
import { METHOD_DECLARATIONS, configFromSweep, sweepParameters, withDefaults } from '@peft-lab/engine/methods';
import { describe, expect, it } from 'vitest';
import { expandSweep } from './expand.js';
import { describeSpecForm } from './form-description.js';
import { METHOD_HYPERPARAMETERS, METHOD_NAMES } from './hyperparameters.js';
import { METHOD_SPACE_SCHEMAS, checkSweepSpec } from './spec.js';

const base = { name: 't', task: 'spam', training: { maxSteps: 10 }, baseline: 'none' as const };

describe('every registered method in the sweep spec', () => {
  it('is a method of the spec, in registry order', () => {
    expect(METHOD_NAMES).toEqual(METHOD_DECLARATIONS.map((d) => d.name));
    expect(Object.keys(METHOD_SPACE_SCHEMAS)).toEqual([...METHOD_NAMES]);
  });

  for (const d of METHOD_DECLARATIONS) {
    it(`${d.name}: its form section and space come from its declaration, and a bare entry expands to its sweep defaults`, () => {
      const form = describeSpecForm().methods.find((m) => m.method === d.name);
      expect(form?.summary).toBe(d.summary);
      const defs = sweepParameters(d);
      expect(form?.hyperparameters.map(({ rule: _rule, ...def }) => def)).toEqual(defs);
      expect(METHOD_HYPERPARAMETERS[d.name]).toEqual(defs);
      expect(Object.keys((METHOD_SPACE_SCHEMAS[d.name] as unknown as { shape: object }).shape)).toEqual(defs.map((p) => p.name));

      const checked = checkSweepSpec({ ...base, methods: [{ method: d.name }] });
      expect(checked.ok, checked.ok ? '' : checked.errors.join('\n')).toBe(true);
      const [trial] = expandSweep(checked.ok ? checked.spec : (null as never));
      expect(trial.method).toBe(d.name);
      const applies = (p: (typeof defs)[number]) => !p.appliesWhen || trial.hyperparameters[p.appliesWhen.param] === p.appliesWhen.equals;
      // Defaults filled in (an exclusive pair's defaulted side included, as neither is given); conditional ones only where they apply.
      const expected = Object.fromEntries(defs.filter((p) => p.default !== undefined && applies(p)).map((p) => [p.name, p.default]));
      expect(trial.hyperparameters).toEqual(expected);

      // A misspelt hyperparameter names the method's allowed ones (or says it has none).
      const bad = checkSweepSpec({ ...base, methods: [{ method: d.name, space: { notAHyperparameter: 1 } }] });
      expect(bad.ok ? [] : bad.errors).toEqual([
        defs.length
          ? `methods[0].space.notAHyperparameter: not a hyperparameter of ${d.name} (allowed: ${defs.map((p) => p.name).join(', ')})`
          : `methods[0].space.notAHyperparameter: not a hyperparameter of ${d.name} (${d.name} has no method-specific hyperparameters)`,
      ]);
    });
  }

  // One default per parameter: what a sweep entry without a space trains is what
  // `peft-lab train --method M` without --set trains (the engine's schema takes the declared
  // defaults: the engine's method-registry.test.ts). No method or parameter is an exception.
  for (const d of METHOD_DECLARATIONS) {
    it(`${d.name}: a bare entry trains the engine config's default of every parameter a sweep can set`, () => {
      const checked = checkSweepSpec({ ...base, methods: [{ method: d.name }] });
      expect(checked.ok, checked.ok ? '' : checked.errors.join('\n')).toBe(true);
      const [trial] = expandSweep(checked.ok ? checked.spec : (null as never));
      const config = configFromSweep(d, trial.hyperparameters, () => []);
      const engine = withDefaults(d);
      for (const p of d.hyperparameters.filter((x) => x.sweep !== undefined)) {
        const applies = !p.appliesWhen || engine[p.appliesWhen.param] === p.appliesWhen.equals;
        // An exclusive pair's defaulted side stands for the pair: the engine resolves it the same way when neither is given.
        expect(config[p.name], `${d.name}.${p.name}`).toEqual(applies ? engine[p.name] : undefined);
      }
    });
  }

  it("keeps LoRA's alpha at peft's 8 (it was 16 in a sweep before the registry)", () => {
    expect(METHOD_HYPERPARAMETERS.lora.find((p) => p.name === 'alpha')?.default).toBe(8);
  });
});
