import { readFileSync } from 'node:fs';
import type { HeadKind } from '../types.js';
import type { TokenExample } from './collate.js';
import { DatasetFormatError } from './errors.js';
import { shuffledOrder } from '../util/rng.js';

/**
 * A task read from a JSONL file, one JSON object per line:
 * - `{"text": "...", "label": "spam"}` (label string or number) → sequence-classification;
 * - `{"text": "..."}` on every line → causal-lm (perplexity).
 * Blank lines are skipped. Either every line has a label or none does.
 * (The data package will supply built-in tasks; this is the minimal user format.)
 */
export interface JsonlTask {
  task: HeadKind;
  examples: TokenExample[];
  /** Class names in id order (sorted); empty for causal-lm. */
  labelNames: string[];
}

export function parseJsonlTask(content: string, tokenize: (text: string) => number[], opts: { file?: string; maxLength?: number } = {}): JsonlTask {
  const file = opts.file ?? '<jsonl>';
  const rows: { text: string; label?: string }[] = [];
  content.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new DatasetFormatError(file, i + 1, 'not valid JSON');
    }
    const o = obj as Record<string, unknown>;
    if (typeof o?.text !== 'string') throw new DatasetFormatError(file, i + 1, `field "text" must be a string, got ${JSON.stringify(o?.text)}`);
    if (o.label !== undefined && typeof o.label !== 'string' && typeof o.label !== 'number') {
      throw new DatasetFormatError(file, i + 1, `field "label" must be a string or number, got ${JSON.stringify(o.label)}`);
    }
    rows.push({ text: o.text, ...(o.label !== undefined ? { label: String(o.label) } : {}) });
  });
  if (rows.length === 0) throw new DatasetFormatError(file, 0, 'no examples');
  const labelled = rows.filter((r) => r.label !== undefined).length;
  if (labelled !== 0 && labelled !== rows.length) {
    const line = rows.findIndex((r) => r.label === undefined) + 1;
    throw new DatasetFormatError(file, line, `example ${line} has no "label" but ${labelled} others do`);
  }
  const labelNames = labelled ? [...new Set(rows.map((r) => r.label!))].sort() : [];
  const clip = (ids: number[]) => (opts.maxLength ? ids.slice(0, opts.maxLength) : ids);
  const examples = rows.map((r) => ({
    inputIds: clip(tokenize(r.text)),
    ...(r.label !== undefined ? { label: labelNames.indexOf(r.label) } : {}),
  }));
  return { task: labelled ? 'sequence-classification' : 'causal-lm', examples, labelNames };
}

export function loadJsonlTask(path: string, tokenize: (text: string) => number[], opts: { maxLength?: number } = {}): JsonlTask {
  return parseJsonlTask(readFileSync(path, 'utf8'), tokenize, { ...opts, file: path });
}

/** Seeded train/eval split; at least one example on each side when there are two or more. */
export function splitExamples<T>(examples: T[], evalFraction: number, seed: number): { train: T[]; eval: T[] } {
  const order = shuffledOrder(examples.length, seed, 1_000_003);
  const nEval = examples.length < 2 ? 0 : Math.min(examples.length - 1, Math.max(1, Math.round(examples.length * evalFraction)));
  return { eval: order.slice(0, nEval).map((i) => examples[i]), train: order.slice(nEval).map((i) => examples[i]) };
}

/** UTF-8 bytes as token ids (vocab 256): the tokenizer of the built-in byte-level stand-in model. */
export function byteTokenize(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}
