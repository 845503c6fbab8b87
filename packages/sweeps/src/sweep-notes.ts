/**
 * Advice on a valid spec: what it will do that its author may not expect. Not errors — the
 * sweep runs as written — so the CLI prints them on stderr and the API returns them as `notes`.
 */
import { searchEntries } from './search-space.js';
import type { SweepSpec } from './spec.js';
import { designTrials, METHOD_DESIGN_MIN } from './strategies/tpe/sampler.js';
import { searchInputs } from './strategies/tpe/space.js';

export function sweepNotes(spec: SweepSpec): string[] {
  const notes: string[] = [];
  const max = spec.budget.maxTrials;
  const entries = searchEntries(spec);
  // TPE's per-method initial design applies with several method entries and one objective (sampler.ts)
  if (spec.strategy.type === 'tpe' && max !== undefined && entries.length > 1 && (spec.objectives?.length ?? 1) === 1) {
    const shares = designTrials(entries, searchInputs(spec, entries));
    const design = shares.reduce((a, b) => a + b, 0);
    if (max <= design) {
      notes.push(
        `budget.maxTrials: ${max} trials with ${entries.length} method entries are all TPE's initial design ` +
          `(${shares.join(' + ')} = ${design}: per method 2 per searched parameter plus 2, at least ${METHOD_DESIGN_MIN}), in which only the leading method is modelled; ` +
          `raise maxTrials above ${design}, or search fewer methods, for the model to choose the method`,
      );
    }
  }
  return notes;
}
