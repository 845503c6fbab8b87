import { readMobyDick } from '../corpora/moby-dick.js';
import { packSentences, splitSentences } from '../corpora/text.js';
import type { LanguageModelingExample, TaskSplits } from '../types.js';
import { mobyDickSectionSplit, splitOf } from './held-out-units.js';
import { groupIntoSplits } from './split-examples.js';

/** Chunks are consecutive sentences of one chapter packed to at least this many characters. */
export const MOBY_CHUNK_MIN_CHARS = 1000;

/** Moby Dick chunks for causal LM; held-out chapters give validation/test perplexity. */
export function buildLmMobySplits(): TaskSplits<LanguageModelingExample> {
  const sections = mobyDickSectionSplit();
  const examples = readMobyDick().flatMap((section) => {
    const split = splitOf(sections, section.id);
    const sentences = section.paragraphs.flatMap(splitSentences);
    return packSentences(sentences, MOBY_CHUNK_MIN_CHARS).map((text, i) => ({
      split,
      example: { id: `${section.id}:c${i}`, text },
    }));
  });
  return groupIntoSplits(examples, 'peft-lab/lm-moby/v1');
}
