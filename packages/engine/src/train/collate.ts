import * as tf from '@tensorflow/tfjs';
import type { Batch, HeadKind } from '../types.js';

/**
 * One tokenised example. `label` is a class index (sequence-classification),
 * one label per token (token-classification; -100 = ignore), or absent
 * (causal-lm: the labels are the input ids).
 */
export interface TokenExample {
  inputIds: number[];
  label?: number | number[];
  tokenTypeIds?: number[];
}

export const IGNORE_INDEX = -100;

export interface CollateOptions {
  task: HeadKind;
  /** Token id written into padded positions (masked out anyway). Default 0. */
  padTokenId?: number;
  /** Truncate longer examples. Default: no truncation. */
  maxLength?: number;
  /** Pad to exactly this length instead of the longest example (fixed shapes keep backends' kernel caches warm). */
  padToLength?: number;
}

/**
 * Right-pads token-id examples into a `Batch`: attention mask 1/0, labels
 * -100 on padding (and, for causal LM, the input ids elsewhere).
 * @example collate([{ inputIds: [5, 6, 7] }, { inputIds: [8] }], { task: 'causal-lm' })
 */
export function collate(examples: TokenExample[], opts: CollateOptions): Batch {
  const pad = opts.padTokenId ?? 0;
  const clip = (ids: number[]) => (opts.maxLength ? ids.slice(0, opts.maxLength) : ids);
  const seqs = examples.map((e) => clip(e.inputIds));
  const S = opts.padToLength ?? Math.max(1, ...seqs.map((s) => s.length));
  const B = examples.length;
  const ids = new Int32Array(B * S).fill(pad);
  const mask = new Int32Array(B * S);
  const types = new Int32Array(B * S);
  const tokenLabels = new Int32Array(B * S).fill(IGNORE_INDEX);
  const classLabels = new Int32Array(B);
  examples.forEach((e, b) => {
    const s = seqs[b].slice(0, S);
    s.forEach((id, t) => {
      ids[b * S + t] = id;
      mask[b * S + t] = 1;
      if (e.tokenTypeIds) types[b * S + t] = e.tokenTypeIds[t] ?? 0;
      if (opts.task === 'causal-lm') tokenLabels[b * S + t] = id;
      else if (opts.task === 'token-classification') {
        const l = Array.isArray(e.label) ? e.label[t] : undefined;
        tokenLabels[b * S + t] = l ?? IGNORE_INDEX;
      }
    });
    if (opts.task === 'sequence-classification') classLabels[b] = typeof e.label === 'number' ? e.label : 0;
  });
  const hasTypes = examples.some((e) => e.tokenTypeIds);
  return {
    inputIds: tf.tensor2d(ids, [B, S], 'int32'),
    attentionMask: tf.tensor2d(mask, [B, S], 'int32'),
    ...(hasTypes ? { tokenTypeIds: tf.tensor2d(types, [B, S], 'int32') } : {}),
    labels: opts.task === 'sequence-classification' ? tf.tensor1d(classLabels, 'int32') : tf.tensor2d(tokenLabels, [B, S], 'int32'),
  };
}

export function disposeBatch(b: Batch): void {
  tf.dispose([b.inputIds, b.attentionMask, b.labels, ...(b.tokenTypeIds ? [b.tokenTypeIds] : [])]);
}
