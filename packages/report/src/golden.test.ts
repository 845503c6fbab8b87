/**
 * Golden files: every format of both fixture sweeps is compared byte for byte
 * with test-fixtures/golden/. After an intended change, rewrite them with
 * `UPDATE_GOLDEN=1 npx vitest run` and review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPORT_FORMATS, renderReport } from './render.js';
import { FIXTURE_DIR, loadFixture } from './test-helpers.js';

const update = process.env.UPDATE_GOLDEN === '1';

describe.each(['sweep', 'sweep-missing'] as const)('golden %s', (fixture) => {
  it.each([...REPORT_FORMATS])('%s matches the golden file', (format) => {
    const out = renderReport(loadFixture(fixture), format);
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
