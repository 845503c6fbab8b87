import { TokenizerError } from '../errors.js';
import { BYTE_TO_CHAR, preTokenize } from './byte-level.js';

export interface BpeTrainingOptions {
  /** Final vocabulary size, special tokens and the 256 bytes included. */
  vocabSize: number;
  /** Added at ids 0…k-1, never split, never merged. */
  specialTokens: readonly string[];
  /** Pairs seen fewer times than this are not merged (training stops early). */
  minFrequency?: number;
}

export interface BpeModel {
  /** token (byte-level string) → id; special tokens first, then the 256 bytes in byte order, then merges. */
  vocab: Map<string, number>;
  /** In rank order: merges[i] = [left, right] produced token id (specials + 256 + i). */
  merges: Array<[string, string]>;
  specialTokens: string[];
}

/**
 * Trains byte-level BPE on `texts`: counts unique pre-tokens once, then merges
 * the most frequent adjacent pair repeatedly. A lazy max-heap of pair counts
 * and a pair → words index make each merge touch only the words that contain
 * the pair, so ~4k merges over ~1.3 M words take seconds, not minutes.
 * Ties break on the smaller (left id, right id), making the result deterministic.
 */
export function trainByteLevelBpe(texts: Iterable<string>, options: BpeTrainingOptions): BpeModel {
  const specials = [...options.specialTokens];
  const base = specials.length + 256;
  if (options.vocabSize < base) {
    throw new TokenizerError(`vocabSize must be at least ${base} (special tokens + 256 bytes), got ${options.vocabSize}`);
  }
  const minFrequency = options.minFrequency ?? 2;

  const pretokenCounts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of splitOnSpecials(text, specials)) {
      if (specials.includes(piece)) continue;
      for (const pretoken of preTokenize(piece)) pretokenCounts.set(pretoken, (pretokenCounts.get(pretoken) ?? 0) + 1);
    }
  }

  // Symbol ids: byte b is `b`; merge i is 256 + i (specials are added to the vocab only at the end).
  const symbolText: string[] = [...BYTE_TO_CHAR];
  const encoder = new TextEncoder();
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [pretoken, count] of pretokenCounts) {
    words.push(Int32Array.from(encoder.encode(pretoken)));
    freqs.push(count);
  }

  const KEY = 1 << 16; // pair key = left * KEY + right; vocab sizes stay below 65,536
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1, changed: Set<number>) => {
    const word = words[w];
    for (let i = 0; i + 1 < word.length; i++) {
      const key = word[i] * KEY + word[i + 1];
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * freqs[w]);
      changed.add(key);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  const initial = new Set<number>();
  for (let w = 0; w < words.length; w++) addPairs(w, 1, initial);

  const heap = new PairHeap();
  for (const key of initial) heap.push(pairCounts.get(key)!, key);

  const merges: Array<[string, string]> = [];
  const target = options.vocabSize - specials.length;
  while (symbolText.length < target) {
    let best: { count: number; key: number } | undefined;
    while (heap.size > 0) {
      const top = heap.pop()!;
      if (pairCounts.get(top.key) === top.count) {
        best = top;
        break;
      }
    }
    if (!best || best.count < minFrequency) break;
    const left = Math.floor(best.key / KEY);
    const right = best.key % KEY;
    const merged = symbolText.length;
    symbolText.push(symbolText[left] + symbolText[right]);
    merges.push([symbolText[left], symbolText[right]]);

    const changed = new Set<number>();
    for (const w of pairWords.get(best.key) ?? []) {
      const word = words[w];
      let present = false;
      for (let i = 0; i + 1 < word.length; i++) if (word[i] === left && word[i + 1] === right) present = true;
      if (!present) continue;
      addPairs(w, -1, changed);
      const next: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
          next.push(merged);
          i++;
        } else next.push(word[i]);
      }
      words[w] = Int32Array.from(next);
      addPairs(w, 1, changed);
    }
    pairWords.delete(best.key);
    pairCounts.delete(best.key);
    for (const key of changed) {
      const count = pairCounts.get(key);
      if (count === undefined) continue;
      if (count <= 0) pairCounts.delete(key);
      else heap.push(count, key);
    }
  }

  const vocab = new Map<string, number>();
  specials.forEach((token, i) => vocab.set(token, i));
  symbolText.forEach((token, i) => vocab.set(token, specials.length + i));
  return { vocab, merges, specialTokens: specials };
}

/** Splits text around occurrences of special tokens, keeping them as separate pieces. */
export function splitOnSpecials(text: string, specials: readonly string[]): string[] {
  if (specials.length === 0) return [text];
  const pattern = new RegExp(`(${specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`);
  return text.split(pattern).filter((piece) => piece.length > 0);
}

/** Max-heap on (count desc, key asc); stale entries are skipped by the caller. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private before(i: number, j: number): boolean {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } | undefined {
    if (this.counts.length === 0) return undefined;
    const top = { count: this.counts[0], key: this.keys[0] };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.before(l, best)) best = l;
        if (r < this.counts.length && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}
