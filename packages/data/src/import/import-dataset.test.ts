import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetValidationError, type DatasetIssue } from '../errors.js';
import { sha256Hex } from '../hash.js';
import { importDataset, MAX_DATASET_BYTES, type ImportDatasetOptions } from './import-dataset.js';

const csvOptions = { format: 'csv', kind: 'sequence-classification', textColumn: 'text', labelColumn: 'label' } as const;

function issuesOf(options: ImportDatasetOptions): DatasetIssue[] {
  try {
    importDataset(options);
  } catch (error) {
    if (error instanceof DatasetValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a DatasetValidationError');
}

function goodCsv(rows = 40): string {
  const lines = ['text,label'];
  for (let i = 0; i < rows; i++) lines.push(`"review number ${i}, with a comma",${i % 2 ? 'pos' : 'neg'}`);
  return lines.join('\n') + '\n';
}

const dir = mkdtempSync(join(tmpdir(), 'peft-lab-data-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('importDataset', () => {
  it('round-trips a good CSV: 80/10/10 seeded split, labels, hash', () => {
    const content = goodCsv();
    const ds = importDataset({ ...csvOptions, content, seed: 7, name: 'reviews' });
    expect(ds.info).toMatchObject({ name: 'reviews', kind: 'sequence-classification', metric: 'accuracy', labels: ['neg', 'pos'] });
    expect(ds.info.sizes).toEqual({ train: 32, validation: 4, test: 4 });
    expect(ds.contentSha256).toBe(sha256Hex(content));
    const all = [...ds.splits.train, ...ds.splits.validation, ...ds.splits.test];
    expect(new Set(all.map((e) => e.id)).size).toBe(40);
    expect(all.find((e) => e.id === 'row-1')).toEqual({ id: 'row-1', text: 'review number 0, with a comma', label: 'neg' });
    // Same seed → same split; another seed → another split.
    const again = importDataset({ ...csvOptions, content, seed: 7 });
    expect(again.splits.test.map((e) => e.id)).toEqual(ds.splits.test.map((e) => e.id));
    const other = importDataset({ ...csvOptions, content, seed: 8 });
    expect(other.splits.test.map((e) => e.id).sort()).not.toEqual(ds.splits.test.map((e) => e.id).sort());
  });

  it('reads a path and a split column', () => {
    const path = join(dir, 'split.csv');
    writeFileSync(path, 'text,label,part\na,x,train\nb,x,train\nc,y,validation\nd,y,test\n');
    const ds = importDataset({ ...csvOptions, path, splitColumn: 'part' });
    expect(ds.splits.train.map((e) => e.id).sort()).toEqual(['row-1', 'row-2']);
    expect(ds.splits.validation.map((e) => e.id)).toEqual(['row-3']);
    expect(ds.splits.test.map((e) => e.id)).toEqual(['row-4']);
  });

  it('imports JSONL token classification and causal LM', () => {
    const content = [
      JSON.stringify({ tokens: ['The', 'cat'], tags: ['DET', 'NOUN'] }),
      JSON.stringify({ tokens: 'A dog', tags: 'DET NOUN' }),
      '',
    ].join('\n');
    const ds = importDataset({ content, format: 'jsonl', kind: 'token-classification', textColumn: 'tokens', tagsColumn: 'tags', tagSet: ['DET', 'NOUN'] });
    const all = [...ds.splits.train, ...ds.splits.validation, ...ds.splits.test];
    expect(all).toContainEqual({ id: 'row-2', tokens: ['A', 'dog'], tags: ['DET', 'NOUN'] });
    expect(ds.info.labels).toEqual(['DET', 'NOUN']);
    const lm = importDataset({ content: '{"t":"one"}\n{"t":"two"}\n{"t":"three"}\n', format: 'jsonl', kind: 'causal-lm', textColumn: 't' });
    expect(lm.info.metric).toBe('perplexity');
    expect(lm.info.sizes.train + lm.info.sizes.validation + lm.info.sizes.test).toBe(3);
  });

  it('names a missing column and lists the columns found', () => {
    expect(issuesOf({ ...csvOptions, content: 'review,stars\ngood,5\n' })).toEqual([
      { column: 'text', message: 'column "text" (textColumn) not found; columns found: review, stars' },
      { column: 'label', message: 'column "label" (labelColumn) not found; columns found: review, stars' },
    ]);
  });

  it('names the row of an empty text', () => {
    expect(issuesOf({ ...csvOptions, content: 'text,label\na,x\n  ,x\nb,y\nc,y\n' })).toEqual([
      { row: 2, column: 'text', message: 'row 2: text column "text" is empty' },
    ]);
  });

  it('rejects a label with a single example', () => {
    expect(issuesOf({ ...csvOptions, content: 'text,label\na,x\nb,x\nc,lonely\n' })).toEqual([
      { row: 3, column: 'label', message: 'label "lonely" has a single example (row 3); every label needs at least 2' },
    ]);
  });

  it('rejects an unknown tag when a tag set is given', () => {
    const content = '{"w":"the cat","t":"DET NOUN"}\n{"w":"a dog","t":"DET NUON"}\n';
    expect(issuesOf({ content, format: 'jsonl', kind: 'token-classification', textColumn: 'w', tagsColumn: 't', tagSet: ['DET', 'NOUN'] })).toEqual([
      { row: 2, column: 't', message: 'row 2: tag "NUON" at position 2 is not in the tag set (DET, NOUN)' },
    ]);
  });

  it('rejects a file over 50 MB before reading it', () => {
    const content = new Uint8Array(MAX_DATASET_BYTES + 1);
    expect(issuesOf({ ...csvOptions, content })).toEqual([
      { message: `file is ${MAX_DATASET_BYTES + 1} bytes; the limit is 50 MB (52428800 bytes)` },
    ]);
  });

  it('rejects bytes that are not UTF-8, naming the line', () => {
    const content = new Uint8Array([...new TextEncoder().encode('text,label\nok,x\n'), 0x63, 0xe9, 0x2c, 0x78, 0x0a]);
    expect(issuesOf({ ...csvOptions, content })).toEqual([
      { message: 'file is not valid UTF-8 (first invalid byte on line 3)' },
    ]);
  });

  it('rejects bad JSON lines and bad split values by row', () => {
    expect(issuesOf({ content: '{"text":"a","label":"x"}\n{oops\n', format: 'jsonl', kind: 'sequence-classification', textColumn: 'text', labelColumn: 'label' })[0])
      .toMatchObject({ row: 2, message: expect.stringMatching(/^row 2: not valid JSON/) });
    expect(issuesOf({ ...csvOptions, content: 'text,label,s\na,x,train\nb,x,dev\n', splitColumn: 's' })).toEqual([
      { row: 2, column: 's', message: 'row 2: split "dev" in column "s" must be train, validation or test' },
    ]);
  });

  it('rejects inconsistent options through zod', () => {
    expect(() => importDataset({ format: 'csv', kind: 'sequence-classification', textColumn: 'text', content: 'x' })).toThrow(
      'labelColumn: labelColumn is required for kind sequence-classification',
    );
  });
});
