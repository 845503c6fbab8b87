import { readSotuSpeeches } from '../corpora/sotu.js';
import { packSentences, splitSentences } from '../corpora/text.js';
import type { ClassificationExample, TaskSplits } from '../types.js';
import { sotuEra, sotuSpeechSplit, splitOf } from './held-out-units.js';
import { groupIntoSplits } from './split-examples.js';

/** The addresses have no paragraph breaks: passages are sentences packed to at least this many characters. */
export const SOTU_PASSAGE_MIN_CHARS = 600;

const PARTY_LABELS: Record<string, string> = { d: 'democratic', r: 'republican' };

function passagesOf(filter: (party: string) => boolean, labelOf: (year: number, party: string) => string, seed: string) {
  const speeches = sotuSpeechSplit();
  const examples = readSotuSpeeches()
    .filter((speech) => filter(speech.party))
    .flatMap((speech) => {
      const split = splitOf(speeches, speech.id);
      const label = labelOf(speech.year, speech.party);
      return packSentences(splitSentences(speech.text), SOTU_PASSAGE_MIN_CHARS).map((text, i) => ({
        split,
        example: { id: `${speech.id}:p${i}`, text, label },
      }));
    });
  return groupIntoSplits<ClassificationExample>(examples, seed);
}

/** Passages of every address, labelled with one of five eras; split by speech. */
export function buildSotuEraSplits(): TaskSplits<ClassificationExample> {
  return passagesOf(() => true, (year) => sotuEra(year), 'peft-lab/sotu-era/v1');
}

/** Passages of addresses by Democratic or Republican presidents (1829–2021); split by speech. */
export function buildSotuPartySplits(): TaskSplits<ClassificationExample> {
  return passagesOf((party) => party in PARTY_LABELS, (_, party) => PARTY_LABELS[party], 'peft-lab/sotu-party/v1');
}
