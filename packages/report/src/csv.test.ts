import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvCell, renderCsv } from './csv.js';
import { trialMetric } from './input.js';
import { loadFixture } from './test-helpers.js';

describe('renderCsv', () => {
  const input = loadFixture('sweep');
  const rows: Record<string, string>[] = parse(renderCsv(input), { columns: true });

  it('writes one row per trial, in index order', () => {
    expect(rows.map((r) => Number(r.index))).toEqual(input.trials.map((t) => t.index).sort((a, b) => a - b));
  });

  it('parses back to the same values', () => {
    for (const t of input.trials) {
      const r = rows.find((x) => x.trial_id === t.id)!;
      expect(r.method).toBe(t.method);
      expect(Number(r.seed)).toBe(t.seed);
      expect(r.status).toBe(t.status);
      expect(r.backend).toBe(t.backend ?? '');
      expect(r.error).toBe(t.error ?? '');
      for (const [k, v] of Object.entries(t.hyperparameters)) {
        const cell = r[`hp.${k}`];
        if (typeof v === 'number') expect(Number(cell)).toBe(v);
        else if (Array.isArray(v)) expect(JSON.parse(cell)).toEqual(v);
        else expect(cell).toBe(csvCell(v));
      }
      for (const [k, v] of Object.entries(t.summary ?? {})) expect(r[`summary.${k}`] === '' ? null : Number(r[`summary.${k}`])).toBe(v);
      for (const [k, v] of Object.entries(t.measurements ?? {})) expect(r[`measurements.${k}`] === '' ? null : Number(r[`measurements.${k}`])).toBe(v ?? null);
      const metric = trialMetric(t, 'accuracy');
      expect(r['objective.accuracy'] === '' ? null : Number(r['objective.accuracy'])).toBe(metric);
    }
  });

  it('leaves a hyperparameter empty where the method lacks it', () => {
    const full = rows.find((r) => r.method === 'full')!;
    expect(full['hp.r']).toBe('');
    const lora = rows.find((r) => r.method === 'lora')!;
    expect(lora['hp.r']).not.toBe('');
  });

  it('quotes cells with commas, quotes and newlines and still parses back', () => {
    const tricky = structuredClone(input);
    tricky.trials[0].error = 'line one, with "quotes"\nline two';
    tricky.trials[0].hyperparameters.note = 'a,b';
    const back: Record<string, string>[] = parse(renderCsv(tricky), { columns: true });
    expect(back[0].error).toBe('line one, with "quotes"\nline two');
    expect(back[0]['hp.note']).toBe('a,b');
  });

  it('reports durations from start and finish', () => {
    const r = rows[0];
    expect(Number(r.duration_s)).toBeCloseTo((Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000, 6);
  });
});
