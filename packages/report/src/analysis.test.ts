import { describe, expect, it } from 'vitest';
import { historyTable, importanceTables, sweepStrategy } from './analysis.js';
import { parseReportInput, type ReportInput } from './input.js';
import { renderReport } from './render.js';
import { loadFixture } from './test-helpers.js';

/** 30 LoRA trials (random strategy): accuracy rises with r, lr barely matters; 3 full FT trials. */
function planted(): ReportInput {
  const base = loadFixture('sweep');
  const lora = base.trials.find((t) => t.method === 'lora')!;
  const full = base.trials.find((t) => t.method === 'full')!;
  const rs = [1, 2, 4, 8, 16, 32];
  const lrs = [1e-4, 1e-3, 1e-2];
  const trials = Array.from({ length: 30 }, (_, i) => {
    const r = rs[i % rs.length];
    const lr = lrs[(i * 7) % lrs.length];
    const accuracy = 0.6 + 0.05 * Math.log2(r) + (lr === 1e-3 ? 0.004 : 0) + ((i * 37) % 11) / 2000;
    return { ...lora, id: `t${i + 3}`, index: i + 3, hyperparameters: { ...lora.hyperparameters, r, lr }, summary: { eval_accuracy: accuracy } };
  });
  return parseReportInput({
    ...base,
    sweep: { ...base.sweep, spec: { ...(base.sweep.spec as object), strategy: { type: 'random', count: 30, seed: 0 } } },
    trials: [0, 1, 2].map((i) => ({ ...full, id: `f${i}`, index: i, summary: { eval_accuracy: 0.5 } })).concat(trials),
  });
}

describe('hyperparameter importance section', () => {
  it('ranks the planted parameter first, over all methods and within its method', () => {
    const tables = importanceTables(planted());
    expect(tables.map((t) => t.scope)).toEqual(['All methods', 'Full fine-tuning', 'LoRA']);
    const lora = tables[2];
    expect(lora.message).toBeNull();
    expect(lora.rows[0][0]).toBe('lora.r');
    expect(lora.rows.map((r) => r[0]).sort()).toEqual(['lora.r', 'lr']);
    expect(lora.shares.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
    expect(tables[1].message).toBe('not enough trials: needs 11 completed, has 3');
  });

  it('Markdown and HTML carry the tables, the "not enough trials" line and the source', () => {
    const md = renderReport(planted(), 'md');
    expect(md).toContain('## Hyperparameter importance');
    expect(md).toMatch(/\| lora\.r \| \d+\.\d % \| 30 \(\d+\) \| █+ \|/);
    expect(md).toContain('_not enough trials: needs 11 completed, has 3._');
    expect(md).toContain('from 33 completed trials of this sweep');
    const html = renderReport(planted(), 'html');
    expect(html).toContain('<section id="importance">');
    expect(html).toMatch(/<td>lora\.r<\/td><td class="num">\d+\.\d %<\/td>/);
    expect(html).toContain('not enough trials: needs 11 completed, has 3.');
  });
});

describe('optimisation history section', () => {
  it('gives the best so far at 1, 5, 10, 25 and the last trial, labelled with the strategy', () => {
    const input = planted();
    expect(sweepStrategy(input)).toBe('random');
    expect(sweepStrategy(loadFixture('sweep'))).toBe('grid');
    const h = historyTable(input);
    expect(h.rows.map((r) => r[0])).toEqual(['1', '5', '10', '25', '33']);
    expect(h.rows[0][1]).toBe('0.500');
    expect(Number(h.rows[4][1])).toBeGreaterThan(0.84);
    const md = renderReport(input, 'md');
    expect(md).toContain('## Optimisation history');
    expect(md).toContain('Strategy random. The highest accuracy among the first n trials');
    expect(renderReport(input, 'html')).toContain('<section id="history">');
  });
});
