import { readBrownCorpus } from '../corpora/brown.js';
import { CorpusError } from '../errors.js';
import type { TaskSplits, TokenClassificationExample } from '../types.js';
import { brownFileSplit, splitOf } from './held-out-units.js';
import { brownToCoarse } from './pos-tagset.js';
import { groupIntoSplits } from './split-examples.js';

const SEED = 'peft-lab/pos/v1';

/** Every Brown sentence as words + coarse tags; split by file (the same files as `genre`). */
export function buildPosSplits(): TaskSplits<TokenClassificationExample> {
  const files = brownFileSplit();
  // ~470 distinct Brown tags over 1.16 M tokens: map each once.
  const coarseOf = new Map<string, string | undefined>();
  const examples = readBrownCorpus().flatMap((file) => {
    const split = splitOf(files, file.id);
    return file.sentences.map((sentence, i) => {
      const tags = sentence.tags.map((brownTag) => {
        if (!coarseOf.has(brownTag)) coarseOf.set(brownTag, brownToCoarse(brownTag));
        const coarse = coarseOf.get(brownTag);
        if (!coarse) throw new CorpusError(`Brown tag "${brownTag}" in ${file.id} has no coarse mapping`);
        return coarse;
      });
      return { split, example: { id: `${file.id}:s${i}`, tokens: sentence.words, tags } };
    });
  });
  return groupIntoSplits(examples, SEED);
}
