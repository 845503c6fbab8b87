import { detokenizeBrown, readBrownCorpus } from './corpora/brown.js';
import { readSotuSpeeches } from './corpora/sotu.js';
import { splitSentences } from './corpora/text.js';
import { brownFileSplit, sotuSpeechSplit } from './tasks/held-out-units.js';

/** One document of the pretraining corpus; `id` is a Brown file id or a SOTU speech id. */
export interface PretrainDocument {
  id: string;
  source: 'brown' | 'sotu';
  text: string;
}

let cached: PretrainDocument[] | undefined;

/**
 * Text for the tokenizer and the built-in base model's pretraining: the Brown
 * files and State of the Union addresses that are in the *train* split of every
 * task built on them (genre, pos, sotu-era, sotu-party). Moby Dick is left out
 * entirely (lm-moby measures domain adaptation), and so is SpamAssassin.
 * 583 documents (396 Brown files, 187 addresses), ≈ 2.2 M words, 13 MB. Cached per process.
 */
export function pretrainCorpus(): PretrainDocument[] {
  if (cached) return cached;
  const brownSplit = brownFileSplit();
  const sotuSplit = sotuSpeechSplit();
  const brownFiles = readBrownCorpus().map((file) => ({
    id: file.id,
    train: brownSplit.get(file.id) === 'train',
    sentences: file.sentences.map((s) => detokenizeBrown(s.words)),
  }));
  const speeches = readSotuSpeeches().map((speech) => ({
    id: speech.id,
    train: sotuSplit.get(speech.id) === 'train',
    sentences: splitSentences(speech.text),
  }));
  // Presidents repeat themselves (and Brown has stock phrases): a sentence of a
  // train document that also occurs in a held-out one is dropped too, so no
  // validation/test sentence is ever seen in pretraining.
  const heldOut = new Set([...brownFiles, ...speeches].filter((d) => !d.train).flatMap((d) => d.sentences));
  const keep = (sentences: string[]) => sentences.filter((s) => !heldOut.has(s)).join(' ');
  cached = [
    ...brownFiles.filter((d) => d.train).map((d): PretrainDocument => ({ id: d.id, source: 'brown', text: keep(d.sentences) })),
    ...speeches.filter((d) => d.train).map((d): PretrainDocument => ({ id: d.id, source: 'sotu', text: keep(d.sentences) })),
  ];
  return cached;
}
