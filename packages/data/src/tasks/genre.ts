import { detokenizeBrown, readBrownCorpus } from '../corpora/brown.js';
import { packSentences } from '../corpora/text.js';
import type { ClassificationExample, TaskSplits } from '../types.js';
import { brownFileSplit, splitOf } from './held-out-units.js';
import { groupIntoSplits } from './split-examples.js';

const SEED = 'peft-lab/genre/v1';
/** Passages are consecutive sentences packed to at least this many characters (≈ 3–4 sentences). */
export const GENRE_PASSAGE_MIN_CHARS = 400;

/** Brown passages labelled with their file's genre (15 labels from cats.txt); split by file. */
export function buildGenreSplits(): TaskSplits<ClassificationExample> {
  const files = brownFileSplit();
  const examples = readBrownCorpus().flatMap((file) => {
    const split = splitOf(files, file.id);
    const passages = packSentences(file.sentences.map((s) => detokenizeBrown(s.words)), GENRE_PASSAGE_MIN_CHARS);
    return passages.map((text, i) => ({ split, example: { id: `${file.id}:p${i}`, text, label: file.genre } }));
  });
  return groupIntoSplits(examples, SEED);
}
