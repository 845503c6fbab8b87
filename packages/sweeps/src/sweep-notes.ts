/**
 * Advice on a valid spec: what it will do that its author may not expect. Not errors — the
 * sweep runs as written — so the CLI prints them on stderr and the API returns them as `notes`.
 */
import { searchEntries } from './search-space.js';
import type { SweepSpec } from './spec.js';
import { METHOD_STARTUP_TRIALS } from './strategies/tpe/sampler.js';

export function sweepNotes(spec: SweepSpec): string[] {
  const notes: string[] = [];
  const max = spec.budget.maxTrials;
  const entries = searchEntries(spec).length;
  // TPE's per-method initial design applies with several method entries and one objective (sampler.ts)
  if (spec.strategy.type === 'tpe' && max !== undefined && entries > 1 && (spec.objectives?.length ?? 1) === 1) {
    const design = METHOD_STARTUP_TRIALS * entries;
    if (max <= design) {
      notes.push(
        `budget.maxTrials: ${max} trials with ${entries} method entries are all TPE's initial design ` +
          `(${METHOD_STARTUP_TRIALS} per entry, spread over each method's ranges), so the model never steers this sweep; ` +
          `raise maxTrials above ${design} or search fewer methods`,
      );
    }
  }
  return notes;
}
