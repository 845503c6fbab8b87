/**
 * The fixed sample of general text every trial's forgetting is measured on (as Hugging Face
 * peft's method comparison records "forgetting": the adapted model's causal-LM loss on
 * general text minus the base model's). For the built-in base model it is text the model
 * never trained on: the documents `peft-lab pretrain` holds out (packCorpus's seeded choice,
 * 3 % of pretrainCorpus() by default — the same 19 documents its record lists). Other base
 * models get the same text through their own tokenizer: general English, though a
 * downloaded model may have seen it.
 */
import { pretrainCorpus } from '../pretrain-corpus.js';
import { HELD_OUT_SEED, isHeldOutDocument } from './packed-chunks.js';

export interface ForgettingSampleOptions {
  /** Sequences in the sample. Default 32. */
  sequences?: number;
  /** Tokens per sequence. Default 64. */
  seqLen?: number;
  /** packCorpus's held-out fraction (pretrainOptionsSchema's default, 0.03). */
  heldOutFraction?: number;
}

export interface ForgettingSample {
  /** Token ids, `sequences` rows of exactly `seqLen` (fewer rows only if the text runs out). */
  sequences: number[][];
  seqLen: number;
  /** What the text is, for the trial record. */
  source: string;
}

const cache = new WeakMap<object, Map<string, ForgettingSample>>();

/**
 * Cuts each held-out pretraining document (tokenised alone, so a sequence never spans two)
 * into `seqLen`-token chunks and takes `sequences` of them spread evenly over all chunks.
 * Deterministic for a tokenizer; cached per tokenizer object (the corpus is read once per process).
 *
 * @example forgettingSample(tokenizer) // 32 × 64 token ids of held-out Brown / SOTU text
 */
export function forgettingSample(tokenizer: { encode(text: string): number[] }, o: ForgettingSampleOptions = {}): ForgettingSample {
  const n = o.sequences ?? 32;
  const seqLen = o.seqLen ?? 64;
  const fraction = o.heldOutFraction ?? 0.03;
  const key = `${n}|${seqLen}|${fraction}`;
  const hit = cache.get(tokenizer)?.get(key);
  if (hit) return hit;
  const docs = pretrainCorpus().filter((d) => isHeldOutDocument(d.id, fraction, HELD_OUT_SEED));
  const chunks: number[][] = [];
  for (const doc of docs) {
    const ids = tokenizer.encode(doc.text);
    for (let i = 0; i + seqLen <= ids.length; i += seqLen) chunks.push(ids.slice(i, i + seqLen));
  }
  const take = Math.min(n, chunks.length);
  const sequences = Array.from({ length: take }, (_, i) => chunks[Math.floor((i * chunks.length) / take)]);
  const sample: ForgettingSample = {
    sequences,
    seqLen,
    source: `held-out pretraining documents of the built-in model (${docs.length} Brown/SOTU documents, ${take} × ${seqLen} tokens)`,
  };
  const perTokenizer = cache.get(tokenizer) ?? new Map<string, ForgettingSample>();
  perTokenizer.set(key, sample);
  cache.set(tokenizer, perTokenizer);
  return sample;
}
