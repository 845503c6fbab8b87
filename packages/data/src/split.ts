import { seededOrder } from './hash.js';
import type { SplitName } from './types.js';

export interface SplitUnit {
  /** What is assigned to a split: an e-mail, a Brown file, a speech, a chapter. */
  id: string;
  /** Units are split within each stratum (usually the label) so every class reaches every split. */
  stratum: string;
}

export interface SplitFractions {
  validation: number;
  test: number;
}

/**
 * Assigns each unit to train/validation/test by a seeded hash order within its
 * stratum: per stratum of n units, round(n·test) (at least 1 when n ≥ 3) go to
 * test, then round(n·validation) (at least 1 when n ≥ 3) to validation, the rest
 * to train. Deterministic across machines; no Math.random.
 */
export function stratifiedSplit(
  units: readonly SplitUnit[],
  seed: string,
  fractions: SplitFractions = { validation: 0.1, test: 0.1 },
): Map<string, SplitName> {
  const byStratum = new Map<string, SplitUnit[]>();
  for (const unit of units) {
    const list = byStratum.get(unit.stratum) ?? [];
    list.push(unit);
    byStratum.set(unit.stratum, list);
  }
  const assignment = new Map<string, SplitName>();
  for (const [stratum, list] of [...byStratum].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const ordered = seededOrder(list, `${seed}/${stratum}`, (u) => u.id);
    const n = ordered.length;
    const atLeastOne = n >= 3 ? 1 : 0;
    const nTest = Math.max(atLeastOne, Math.round(n * fractions.test));
    const nValidation = Math.max(atLeastOne, Math.round(n * fractions.validation));
    ordered.forEach((unit, i) => {
      assignment.set(unit.id, i < nTest ? 'test' : i < nTest + nValidation ? 'validation' : 'train');
    });
  }
  return assignment;
}
