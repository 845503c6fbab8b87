// One method registry across the workspaces (no database, no browser): every registered method
// as the sweep spec expands it, the worker maps it onto a model and a report shows it, and the defaults a sweep
// trains with against the ones `attachPeft` and `peft-lab train` use. Nothing here names a
// method to cover it.
import { describe, expect, it } from 'vitest';
import { LoraConfigSchema, METHOD_DECLARATIONS, attachPeft, detachPeft, loadHfModel, methodDeclaration } from '@peft-lab/engine';
import { METHOD_HYPERPARAMETERS, expandSweep, validateSweepSpec } from '@peft-lab/sweeps';
import { methodConfig, methodHyperparameters } from '@peft-lab/worker';
import { METHOD_NAMES as REPORT_LABELS, renderReport } from '@peft-lab/report';
import { GPT2_TINY_DIR } from './helpers/worker-fixtures';

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

  it("maps each method's trial (defaults everywhere) to the engine config the method attaches with by default", () => {
    const { model } = loadHfModel(GPT2_TINY_DIR, { head: 'sequence-classification', numLabels: 2 });
    try {
      for (const t of trials) {
        const config = methodConfig(t.method, methodHyperparameters(t.hyperparameters), t.seed, (text) => [...text].map((c) => c.charCodeAt(0) % 100));
        const a = attachPeft(model, t.method, config, t.method);
        expect(a.method).toBe(t.method);
        if (t.method === 'lora') expect((a.config as { alpha: number }).alpha).toBe(LoraConfigSchema.parse({}).alpha);
        const trialShapes = [...a.trainable.values()].map((v) => v.shape);
        detachPeft(model, t.method);
        // What `peft-lab train --method M` attaches without --set (only the seed is the trial's): the same
        // config and the same trainable shapes. An exclusive pair (adapter bottleneck / reductionFactor) is
        // compared through the shapes: a sweep names the defaulted side, the engine resolves it.
        const bare = attachPeft(model, t.method, 'seed' in config ? { seed: config.seed } : {}, 'bare');
        const exclusive = new Set(methodDeclaration(t.method).hyperparameters.filter((p) => p.exclusiveWith).map((p) => p.name));
        const plain = (c: unknown) => Object.fromEntries(Object.entries(c as Record<string, unknown>).filter(([k]) => !exclusive.has(k)));
        expect(plain(a.config), t.method).toEqual(plain(bare.config));
        expect([...bare.trainable.values()].map((v) => v.shape), t.method).toEqual(trialShapes);
        detachPeft(model, 'bare');
      }
    } finally {
      model.dispose();
    }
  });

  it('reports those trials, each method under its declared label', () => {
    const md = renderReport({
      sweep: { id: 'every-method-0001', name: spec.name, status: 'completed', spec, baseModel: 'builtin', task: spec.task, createdAt: new Date(0) },
      objective: { metric: 'accuracy', direction: 'maximize' },
      trials: trials.map((t, i) => ({
        id: `t${i}`, index: t.index, method: t.method, hyperparameters: methodHyperparameters(t.hyperparameters) as Record<string, number | string | boolean | string[]>,
        seed: t.seed, status: 'completed', summary: { eval_accuracy: 0.9 },
      })),
    }, 'md');
    for (const d of METHOD_DECLARATIONS) {
      expect(REPORT_LABELS[d.name]).toBe(d.label);
      expect(md).toContain(`| ${d.label} |`);
    }
  });
});
