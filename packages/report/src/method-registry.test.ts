// The report against the engine's method registry: the input schema accepts exactly the
// registered method names, every method has its declared label and colour, and a sweep with one
// completed trial per registered method is reported with each of them. Nothing here names a
// method to cover it.
import { METHOD_DECLARATIONS, METHOD_NAMES as REGISTERED } from '@peft-lab/engine/methods';
import { describe, expect, it } from 'vitest';
import { METHOD_NAMES, aggregateSweep } from './aggregate.js';
import { ReportInputError } from './errors.js';
import { METHODS, parseReportInput, trialInputSchema } from './input.js';
import { renderReport } from './render.js';
import { METHOD_COLORS } from './svg.js';

const input = {
  sweep: { id: 'sweep-registry-0001', name: 'every-method', status: 'completed', spec: {}, baseModel: 'builtin', task: 'spam', createdAt: '2026-01-01T00:00:00.000Z' },
  objective: { metric: 'accuracy', direction: 'maximize' },
  trials: METHOD_DECLARATIONS.map((d, i) => ({
    id: `t${i}`, index: i, method: d.name, hyperparameters: {}, seed: 0, status: 'completed',
    summary: { eval_accuracy: 0.8 + i / 100 }, measurements: { trainableParams: 1000 * (i + 1), totalParams: 100_000, trainablePercent: i + 1, peakBytes: 1e6, tokensPerSec: 1000, wallTimeS: 10 },
    series: { 'eval/accuracy': [{ step: 1, value: 0.5 }, { step: 2, value: 0.8 }] },
  })),
};

describe('the report and the method registry', () => {
  it('accepts exactly the registered method names', () => {
    expect(METHODS).toEqual(REGISTERED);
    expect(trialInputSchema.shape.method.options).toEqual([...REGISTERED]);
    const bad = { ...input, trials: [{ ...input.trials[0], method: 'loraa' }] };
    expect(() => parseReportInput(bad)).toThrow(ReportInputError);
  });

  it("labels and colours every method as its declaration does", () => {
    for (const d of METHOD_DECLARATIONS) {
      expect(METHOD_NAMES[d.name]).toBe(d.label);
      expect(METHOD_COLORS[d.name]).toBe(d.color);
    }
  });

  it('reports a sweep with one completed trial of every registered method', () => {
    const parsed = parseReportInput(input);
    expect(aggregateSweep(parsed).methods.map((m) => m.method)).toEqual([...REGISTERED]);
    expect(aggregateSweep(parsed).absentMethods).toEqual([]);
    const md = renderReport(parsed, 'md');
    const html = renderReport(parsed, 'html');
    const tex = renderReport(parsed, 'tex');
    for (const d of METHOD_DECLARATIONS) {
      expect(md, d.name).toContain(`| ${d.label} |`);
      expect(html, d.name).toContain(`fill="${d.color}"`);
    }
    expect(/[^\x00-\x7f]/.test(tex), 'LaTeX stays ASCII').toBe(false);
  });
});
