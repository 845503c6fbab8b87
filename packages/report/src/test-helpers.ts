/** Fixture loading for this package's tests (the fixtures live in ../test-fixtures, inside the repo). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReportInput, type ReportInput } from './input.js';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-fixtures');

export function loadFixture(name: 'sweep' | 'sweep-missing'): ReportInput {
  return parseReportInput(JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.json`), 'utf8')));
}
