// Built-in or imported task examples (text / tokens+tags / text) → the engine's TokenExamples.
import type { TokenExample } from '@peft-lab/engine';
import type { HeadKind } from './engine-types.js';
import type { TaskExample, TaskKind } from '@peft-lab/data';

export interface Encoder {
  encode(text: string): number[];
}

/** The engine head for a data task kind (the same three names). */
export function headFor(kind: TaskKind): HeadKind {
  return kind;
}

/**
 * Tokenizes examples for the engine, clipped to maxLength tokens.
 * - sequence-classification: label = index in `labels`;
 * - token-classification: each word encoded separately (later words with a
 *   leading space, as byte-level BPE sees running text); its tag on the first
 *   sub-token, -100 on the rest (the usual "label the first piece" rule);
 * - causal-lm: ids only (labels are the inputs).
 */
export function tokenizeExamples(examples: readonly TaskExample[], kind: TaskKind, labels: readonly string[], tok: Encoder, maxLength: number): TokenExample[] {
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const out: TokenExample[] = [];
  for (const e of examples) {
    if (kind === 'token-classification') {
      const { tokens, tags } = e as { tokens: string[]; tags: string[] };
      const ids: number[] = [];
      const lab: number[] = [];
      tokens.forEach((word, i) => {
        const pieces = tok.encode(i === 0 ? word : ` ${word}`);
        pieces.forEach((p, j) => {
          ids.push(p);
          lab.push(j === 0 ? (labelIndex.get(tags[i]) ?? -100) : -100);
        });
      });
      if (ids.length === 0) continue;
      out.push({ inputIds: ids.slice(0, maxLength), label: lab.slice(0, maxLength) });
    } else {
      const ids = tok.encode((e as { text: string }).text).slice(0, maxLength);
      if (ids.length === 0) continue;
      if (kind === 'sequence-classification') {
        const label = labelIndex.get((e as { label: string }).label);
        if (label === undefined) continue;
        out.push({ inputIds: ids, label });
      } else out.push({ inputIds: ids });
    }
  }
  return out;
}
