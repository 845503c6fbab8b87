/**
 * Golden files: every format of both fixture sweeps is compared byte for byte
 * with test-fixtures/golden/. After an intended change, rewrite them with
 * `UPDATE_GOLDEN=1 npx vitest run` and review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METHODS } from './input.js';
import { REPORT_FORMATS, renderReport, type ReportFormat } from './render.js';
import { FIXTURE_DIR, loadFixture } from './test-helpers.js';

const update = process.env.UPDATE_GOLDEN === '1';

/**
 * The methods the fixtures were written against. A report names every other registered method
 * as "not in this sweep"; the golden files leave out those registered later, so registering a
 * method does not rewrite them (the absent-method line itself is checked in aggregate.test.ts).
 */
const FIXTURE_METHODS: readonly string[] = ['full', 'lora', 'adapter', 'prefix', 'prompt'];
const LATER = new Set<string>(METHODS.filter((m) => !FIXTURE_METHODS.includes(m)));
const ABSENT = 'methods not in this sweep: ';

function withoutLaterMethods(out: string, format: ReportFormat): string {
  if (LATER.size === 0) return out;
  const keep = (list: string) => list.split(', ').filter((m) => !LATER.has(m)).join(', ');
  if (format === 'json') {
    const j = JSON.parse(out) as { absentMethods: string[]; missing: string[] };
    j.absentMethods = j.absentMethods.filter((m) => !LATER.has(m));
    j.missing = j.missing.flatMap((line) => (line.startsWith(ABSENT) ? (keep(line.slice(ABSENT.length)) ? [ABSENT + keep(line.slice(ABSENT.length))] : []) : [line]));
    return `${JSON.stringify(j, null, 2)}\n`;
  }
  // md: "- …\n", tex: "\item …\n", html: "<li>…</li>"; csv has no such line.
  return out.replace(/(<li>|^- |^\\item )methods not in this sweep: ([^<\n]*)(<\/li>|\n)/gm, (_all, open: string, list: string, close: string) => {
    const left = keep(list);
    return left ? `${open}${ABSENT}${left}${close}` : '';
  });
}

describe.each(['sweep', 'sweep-missing'] as const)('golden %s', (fixture) => {
  it.each([...REPORT_FORMATS])('%s matches the golden file', (format) => {
    const out = withoutLaterMethods(renderReport(loadFixture(fixture), format), format);
    const file = join(FIXTURE_DIR, 'golden', `${fixture}.${format}`);
    if (update || !existsSync(file)) writeFileSync(file, out);
    expect(out).toBe(readFileSync(file, 'utf8'));
  });
});

describe('missing data is stated in every format', () => {
  const input = loadFixture('sweep-missing');
  it.each([...REPORT_FORMATS])('%s', (format) => {
    const out = renderReport(input, format);
    if (format === 'csv') {
      expect(out).toContain('failed: out of memory; no final metrics');
      expect(out).toContain('queued; no final metrics');
      expect(out).toContain('completed without measurements');
      return;
    }
    expect(out).toMatch(/no full fine-tuning baseline/);
    expect(out).toMatch(/no completed trial reported accuracy/);
    expect(out).toMatch(/1 trials? queued/);
  });
});
