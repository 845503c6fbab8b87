import { readFileSync, statSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { DatasetValidationError, type DatasetIssue } from '../errors.js';
import { sha256Hex } from '../hash.js';
import { stratifiedSplit } from '../split.js';
import { groupIntoSplits } from '../tasks/split-examples.js';
import type { LoadedTask, MetricName, SplitName, TaskExample, TaskInfo, TaskKind } from '../types.js';

/** Larger files are refused before they are read. */
export const MAX_DATASET_BYTES = 50 * 1024 * 1024;
/** Validation stops collecting issues after this many (the error would be unreadable). */
const MAX_ISSUES = 100;

export const importDatasetOptionsSchema = z
  .object({
    /** The file's bytes or text; give this or `path`. */
    content: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
    path: z.string().min(1).optional(),
    format: z.enum(['csv', 'jsonl']),
    kind: z.enum(['sequence-classification', 'token-classification', 'causal-lm']),
    textColumn: z.string().min(1),
    labelColumn: z.string().min(1).optional(),
    tagsColumn: z.string().min(1).optional(),
    /** A column whose values are train, validation or test; without it the split is 80/10/10 seeded. */
    splitColumn: z.string().min(1).optional(),
    /** If given, every tag must be one of these. */
    tagSet: z.array(z.string().min(1)).min(1).optional(),
    seed: z.number().int().default(0),
    name: z.string().min(1).default('user-dataset'),
  })
  .refine((o) => (o.content === undefined) !== (o.path === undefined), {
    message: 'give exactly one of content or path',
    path: ['content'],
  })
  .refine((o) => o.kind !== 'sequence-classification' || o.labelColumn, {
    message: 'labelColumn is required for kind sequence-classification',
    path: ['labelColumn'],
  })
  .refine((o) => o.kind !== 'token-classification' || o.tagsColumn, {
    message: 'tagsColumn is required for kind token-classification',
    path: ['tagsColumn'],
  });

export type ImportDatasetOptions = z.input<typeof importDatasetOptionsSchema>;

export interface ImportedDataset extends LoadedTask {
  /** sha256 (hex) of the file's bytes, for the caller to store and deduplicate. */
  contentSha256: string;
  /** Size of the file in bytes. */
  bytes: number;
}

const METRICS: Record<TaskKind, MetricName[]> = {
  'sequence-classification': ['accuracy', 'macro-f1'],
  'token-classification': ['token-accuracy'],
  'causal-lm': ['perplexity'],
};

type Row = Record<string, unknown>;

/**
 * Reads, validates and splits a user dataset (CSV with a header row, or JSON
 * Lines) into the same shape as a built-in task. Writes nothing: registering
 * the dataset is the caller's job (it gets `contentSha256` for that).
 *
 * Rows are numbered from 1 (CSV: the first row after the header; JSONL: the
 * first line). Token classification takes tokens and tags as JSON arrays
 * (JSONL) or whitespace-separated strings (CSV or JSONL).
 *
 * @throws DatasetValidationError listing every problem found ({ row?, column?, message }).
 * @example
 *   const ds = importDataset({ path: 'reviews.csv', format: 'csv', kind: 'sequence-classification',
 *     textColumn: 'review', labelColumn: 'stars', seed: 1 });
 *   ds.splits.train.length; ds.contentSha256;
 */
export function importDataset(options: ImportDatasetOptions): ImportedDataset {
  const parsedOptions = importDatasetOptionsSchema.safeParse(options);
  if (!parsedOptions.success) {
    throw new DatasetValidationError(
      parsedOptions.error.issues.map((i) => ({ column: i.path.join('.') || undefined, message: `${i.path.join('.')}: ${i.message}` })),
    );
  }
  const opts = parsedOptions.data;
  const bytes = readBytes(opts.content, opts.path);
  const text = decodeUtf8(bytes);
  const rows = opts.format === 'csv' ? readCsv(text) : readJsonl(text);
  const examples = validateRows(rows, opts);
  const seed = `user-dataset/${opts.seed}`;
  const assignment = assignSplits(examples, opts, seed);
  const splits = groupIntoSplits(examples.map(({ row, example }) => ({ split: assignment.get(String(row))!, example })), seed);
  const labels =
    opts.kind === 'sequence-classification'
      ? [...new Set(examples.map((e) => (e.example as { label: string }).label))].sort()
      : opts.kind === 'token-classification'
        ? (opts.tagSet ?? [...new Set(examples.flatMap((e) => (e.example as { tags: string[] }).tags))].sort())
        : [];
  const metrics = METRICS[opts.kind];
  const info: TaskInfo = {
    name: opts.name,
    kind: opts.kind,
    metric: metrics[0],
    metrics,
    labels,
    sizes: { train: splits.train.length, validation: splits.validation.length, test: splits.test.length },
    description: `user dataset (${opts.format}, ${examples.length} rows)`,
    source: opts.path ?? 'uploaded content',
    licence: 'as supplied by the user',
  };
  return { info, splits, contentSha256: sha256Hex(bytes), bytes: bytes.byteLength };
}

/**
 * The columns of a CSV (its header) or JSONL file (every key of its objects), in file order:
 * what a caller picks textColumn / labelColumn from. Reads the file as importDataset does.
 * @throws DatasetValidationError (too large, not UTF-8, unparsable CSV, no header row)
 */
export function datasetColumns(options: { path?: string; content?: string | Uint8Array; format: 'csv' | 'jsonl' }): string[] {
  const text = decodeUtf8(readBytes(options.content, options.path));
  return (options.format === 'csv' ? readCsv(text) : readJsonl(text)).columns;
}

function readBytes(content: string | Uint8Array | undefined, path: string | undefined): Uint8Array {
  const tooLarge = (size: number) =>
    new DatasetValidationError([{ message: `file is ${size} bytes; the limit is 50 MB (${MAX_DATASET_BYTES} bytes)` }]);
  if (path !== undefined) {
    const size = statSync(path).size;
    if (size > MAX_DATASET_BYTES) throw tooLarge(size);
    return readFileSync(path);
  }
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content!;
  if (bytes.byteLength > MAX_DATASET_BYTES) throw tooLarge(bytes.byteLength);
  return bytes;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    // Name the first bad line: lines split on 0x0A are safe, no multi-byte UTF-8 sequence contains it.
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, i));
        } catch {
          break;
        }
        line++;
        start = i + 1;
      }
    }
    throw new DatasetValidationError([{ message: `file is not valid UTF-8 (first invalid byte on line ${line})` }]);
  }
}

interface ParsedRows {
  columns: string[];
  rows: Array<{ row: number; values: Row }>;
  issues: DatasetIssue[];
}

function readCsv(text: string): ParsedRows {
  let records: string[][];
  try {
    records = parseCsv(text, { skip_empty_lines: true, relax_column_count: true }) as string[][];
  } catch (error) {
    throw new DatasetValidationError([{ message: `CSV could not be parsed: ${(error as Error).message}` }]);
  }
  if (records.length === 0) throw new DatasetValidationError([{ message: 'file is empty: no header row' }]);
  const columns = records[0].map((c) => c.trim());
  const issues: DatasetIssue[] = [];
  const rows = records.slice(1).map((record, i) => {
    if (record.length !== columns.length) {
      issues.push({ row: i + 1, message: `row ${i + 1}: ${record.length} fields, the header has ${columns.length}` });
    }
    return { row: i + 1, values: Object.fromEntries(columns.map((c, j) => [c, record[j]])) };
  });
  return { columns, rows, issues };
}

function readJsonl(text: string): ParsedRows {
  const issues: DatasetIssue[] = [];
  const rows: ParsedRows['rows'] = [];
  const columns = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const row = i + 1;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        issues.push({ row, message: `row ${row}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}` });
        return;
      }
      Object.keys(value).forEach((k) => columns.add(k));
      rows.push({ row, values: value as Row });
    } catch (error) {
      issues.push({ row, message: `row ${row}: not valid JSON (${(error as Error).message})` });
    }
  });
  return { columns: [...columns], rows, issues };
}

type Options = z.output<typeof importDatasetOptionsSchema>;
type RowExample = { row: number; example: TaskExample; split?: SplitName };

function validateRows(parsed: ParsedRows, opts: Options): RowExample[] {
  const issues = [...parsed.issues];
  const wanted: Array<[string, string | undefined]> = [
    ['textColumn', opts.textColumn],
    ['labelColumn', opts.kind === 'sequence-classification' ? opts.labelColumn : undefined],
    ['tagsColumn', opts.kind === 'token-classification' ? opts.tagsColumn : undefined],
    ['splitColumn', opts.splitColumn],
  ];
  for (const [option, column] of wanted) {
    if (column !== undefined && !parsed.columns.includes(column)) {
      issues.push({
        column,
        message: `column "${column}" (${option}) not found; columns found: ${parsed.columns.join(', ') || '(none)'}`,
      });
    }
  }
  if (issues.length > 0) throw new DatasetValidationError(issues.slice(0, MAX_ISSUES));
  if (parsed.rows.length === 0) throw new DatasetValidationError([{ message: 'the dataset has no rows' }]);

  const tagSet = opts.tagSet ? new Set(opts.tagSet) : undefined;
  const out: RowExample[] = [];
  for (const { row, values } of parsed.rows) {
    if (issues.length >= MAX_ISSUES) break;
    const issue = (column: string, message: string) => issues.push({ row, column, message: `row ${row}: ${message}` });
    const id = `row-${row}`;
    let split: SplitName | undefined;
    if (opts.splitColumn) {
      const value = String(values[opts.splitColumn] ?? '').trim();
      if (value === 'train' || value === 'validation' || value === 'test') split = value;
      else issue(opts.splitColumn, `split "${value}" in column "${opts.splitColumn}" must be train, validation or test`);
    }
    if (opts.kind === 'token-classification') {
      const tokens = asWordList(values[opts.textColumn]);
      const tags = asWordList(values[opts.tagsColumn!]);
      if (tokens.length === 0) { issue(opts.textColumn, `tokens column "${opts.textColumn}" is empty`); continue; }
      if (tags.length !== tokens.length) { issue(opts.tagsColumn!, `${tags.length} tags for ${tokens.length} tokens`); continue; }
      const unknown = tagSet ? tags.findIndex((t) => !tagSet.has(t)) : -1;
      if (unknown >= 0) { issue(opts.tagsColumn!, `tag "${tags[unknown]}" at position ${unknown + 1} is not in the tag set (${opts.tagSet!.join(', ')})`); continue; }
      out.push({ row, split, example: { id, tokens, tags } });
      continue;
    }
    const text = values[opts.textColumn];
    if (typeof text !== 'string' || text.trim() === '') { issue(opts.textColumn, `text column "${opts.textColumn}" is empty`); continue; }
    if (opts.kind === 'causal-lm') { out.push({ row, split, example: { id, text } }); continue; }
    const rawLabel = values[opts.labelColumn!];
    const label = rawLabel === undefined || rawLabel === null ? '' : String(rawLabel).trim();
    if (label === '') { issue(opts.labelColumn!, `label column "${opts.labelColumn}" is empty`); continue; }
    out.push({ row, split, example: { id, text, label } });
  }
  if (opts.kind === 'sequence-classification' && issues.length === 0) {
    const rowsByLabel = new Map<string, number[]>();
    for (const { row, example } of out) {
      const label = (example as { label: string }).label;
      rowsByLabel.set(label, [...(rowsByLabel.get(label) ?? []), row]);
    }
    for (const [label, rows] of [...rowsByLabel].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (rows.length === 1) {
        issues.push({
          row: rows[0],
          column: opts.labelColumn,
          message: `label "${label}" has a single example (row ${rows[0]}); every label needs at least 2`,
        });
      }
    }
  }
  if (issues.length > 0) throw new DatasetValidationError(issues.slice(0, MAX_ISSUES));
  return out;
}

function asWordList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v));
  if (typeof value === 'string') return value.split(/\s+/).filter((w) => w.length > 0);
  return [];
}

/** row number (as string) → split: the split column if given, else seeded 80/10/10 (stratified by label). */
function assignSplits(examples: RowExample[], opts: Options, seed: string): Map<string, SplitName> {
  if (opts.splitColumn) {
    const assignment = new Map(examples.map((e) => [String(e.row), e.split!]));
    if (![...assignment.values()].includes('train')) {
      throw new DatasetValidationError([{ column: opts.splitColumn, message: `no row has split "train" in column "${opts.splitColumn}"` }]);
    }
    return assignment;
  }
  return stratifiedSplit(
    examples.map((e) => ({ id: String(e.row), stratum: 'label' in e.example ? e.example.label : 'all' })),
    seed,
  );
}
