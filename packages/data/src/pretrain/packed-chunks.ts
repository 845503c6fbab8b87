/**
 * Causal-LM training data from whole documents: every document tokenised, an
 * <|endoftext|> after each, the stream cut into chunks of exactly `seqLen`
 * tokens (no padding, no wasted positions). A seeded slice of documents is
 * held out for perplexity, so the held-out text is never trained on.
 */
import { seededKey } from '../hash.js';
import type { PretrainDocument } from '../pretrain-corpus.js';

export interface PackedCorpus {
  train: number[][];
  heldOut: number[][];
  trainDocuments: number;
  heldOutDocuments: string[];
  trainTokens: number;
  heldOutTokens: number;
}

export interface PackOptions {
  seqLen: number;
  /** Token appended after each document. */
  endOfText: number;
  /** Fraction of documents held out (by a seeded hash of the id, stable across machines). */
  heldOutFraction: number;
  /** Versioned seed of the held-out choice. */
  heldOutSeed?: string;
}

export const HELD_OUT_SEED = 'peft-lab/pretrain-held-out/v1';

/** Cuts a token stream into consecutive chunks of `seqLen` (the tail shorter than seqLen is dropped). */
export function chunkTokens(stream: readonly number[], seqLen: number): number[][] {
  const chunks: number[][] = [];
  for (let i = 0; i + seqLen <= stream.length; i += seqLen) chunks.push(stream.slice(i, i + seqLen));
  return chunks;
}

/**
 * @example packCorpus(pretrainCorpus(), (t) => tok.encode(t), { seqLen: 128, endOfText: 0, heldOutFraction: 0.03 })
 */
/** Whether packCorpus holds document `id` out: the first 8 hex digits of its seeded key fall below the fraction. */
export function isHeldOutDocument(id: string, heldOutFraction: number, heldOutSeed: string = HELD_OUT_SEED): boolean {
  return parseInt(seededKey(heldOutSeed, id).slice(0, 8), 16) < Math.floor(heldOutFraction * 0x1_0000_0000);
}

export function packCorpus(docs: readonly PretrainDocument[], encode: (text: string) => number[], o: PackOptions): PackedCorpus {
  const isHeldOut = (id: string) => isHeldOutDocument(id, o.heldOutFraction, o.heldOutSeed ?? HELD_OUT_SEED);
  const train: number[] = [];
  const heldOut: number[] = [];
  const heldOutDocuments: string[] = [];
  let trainDocuments = 0;
  for (const doc of docs) {
    const ids = encode(doc.text);
    const target = isHeldOut(doc.id) ? heldOut : train;
    if (target === heldOut) heldOutDocuments.push(doc.id);
    else trainDocuments++;
    for (const id of ids) target.push(id);
    target.push(o.endOfText);
  }
  return {
    train: chunkTokens(train, o.seqLen),
    heldOut: chunkTokens(heldOut, o.seqLen),
    trainDocuments,
    heldOutDocuments,
    trainTokens: train.length,
    heldOutTokens: heldOut.length,
  };
}
