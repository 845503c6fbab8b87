import { readBrownCorpus } from '../corpora/brown.js';
import { readMobyDick } from '../corpora/moby-dick.js';
import { readSotuSpeeches } from '../corpora/sotu.js';
import { stratifiedSplit } from '../split.js';
import type { SplitName } from '../types.js';

/*
 * The split of each corpus is decided once, per *document*, and shared by every
 * task built on that corpus (genre and pos share Brown's; sotu-era and sotu-party
 * share the speeches'). Passages of one document never straddle splits, and
 * pretrainCorpus() can leave out every held-out document of every task at once.
 */

export const BROWN_SPLIT_SEED = 'peft-lab/brown/v1';
export const SOTU_SPLIT_SEED = 'peft-lab/sotu/v1';
export const MOBY_SPLIT_SEED = 'peft-lab/moby-dick/v1';

let brown: Map<string, SplitName> | undefined;
let sotu: Map<string, SplitName> | undefined;
let moby: Map<string, SplitName> | undefined;

/** Brown file id → split, stratified by genre (so each of the 15 genres has ≥ 1 held-out file per split). */
export function brownFileSplit(): Map<string, SplitName> {
  brown ??= stratifiedSplit(
    readBrownCorpus().map((f) => ({ id: f.id, stratum: f.genre })),
    BROWN_SPLIT_SEED,
  );
  return brown;
}

/** The five eras of the sotu-era task, by year of the address. */
export const SOTU_ERAS = [
  { label: '1790-1860', from: 1790, to: 1860 },
  { label: '1861-1912', from: 1861, to: 1912 },
  { label: '1913-1945', from: 1913, to: 1945 },
  { label: '1946-1980', from: 1946, to: 1980 },
  { label: '1981-2021', from: 1981, to: 2021 },
] as const;

export function sotuEra(year: number): string {
  const era = SOTU_ERAS.find((e) => year >= e.from && year <= e.to);
  if (!era) throw new RangeError(`year ${year} is outside 1790-2021`);
  return era.label;
}

/** Speech id → split, stratified by era. */
export function sotuSpeechSplit(): Map<string, SplitName> {
  sotu ??= stratifiedSplit(
    readSotuSpeeches().map((s) => ({ id: s.id, stratum: sotuEra(s.year) })),
    SOTU_SPLIT_SEED,
  );
  return sotu;
}

/** Moby Dick section (chapter) id → split. */
export function mobyDickSectionSplit(): Map<string, SplitName> {
  moby ??= stratifiedSplit(
    readMobyDick().map((s) => ({ id: s.id, stratum: 'all' })),
    MOBY_SPLIT_SEED,
  );
  return moby;
}

export function splitOf(map: Map<string, SplitName>, id: string): SplitName {
  const split = map.get(id);
  if (!split) throw new Error(`no split assigned to "${id}"`);
  return split;
}
