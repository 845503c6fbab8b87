/**
 * One forward pass (or a few, for a greedy continuation) over a batch of texts that all use the
 * same adapter: the caller has made it the active one. Texts are right-padded with a mask, so a
 * row's outputs do not depend on the other rows.
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadKind, HfTokenizer, loadHfModel } from '@peft-lab/engine';

type TransformerModel = ReturnType<typeof loadHfModel>['model'];

export interface PredictOptions {
  /** Causal LM: how many next-token candidates to return (default 5). */
  topK: number;
  /** Causal LM: tokens of greedy continuation (default 8; 0 = none). */
  maxNewTokens: number;
}

export interface ClassificationPrediction {
  label: string;
  probabilities: Record<string, number>;
}

export interface TokenTagsPrediction {
  tokens: { token: string; tag: string; probability: number }[];
}

export interface NextTokenPrediction {
  topK: { token: string; id: number; probability: number }[];
  continuation: string;
  continuationIds: number[];
}

export type Prediction = ClassificationPrediction | TokenTagsPrediction | NextTokenPrediction;

/** Runs `f` in a tidy and reads its result to the host, freeing it. */
function read<T>(f: () => tf.Tensor): T {
  const t = tf.tidy(f);
  try {
    return t.arraySync() as T;
  } finally {
    t.dispose();
  }
}

/** [batch, seq] right-padded ids and mask. */
function batchInputs(rows: number[][], padId: number) {
  const len = Math.max(...rows.map((r) => r.length));
  const ids = rows.map((r) => [...r, ...new Array(len - r.length).fill(padId)]);
  const mask = rows.map((r) => [...new Array(r.length).fill(1), ...new Array(len - r.length).fill(0)]);
  return { inputIds: tf.tensor2d(ids, [rows.length, len], 'int32'), attentionMask: tf.tensor2d(mask, [rows.length, len], 'int32') };
}

/** Probabilities at each row's last real token, [batch, vocab]. Synchronous (inside tf.tidy). */
function lastTokenProbs(model: TransformerModel, rows: number[][], padId: number): tf.Tensor2D {
  return tf.tidy(() => {
    const logits = model.forward(batchInputs(rows, padId), { training: false }) as tf.Tensor3D;
    const V = logits.shape[2];
    const last = tf.concat(rows.map((r, b) => logits.slice([b, r.length - 1, 0], [1, 1, V]).reshape([1, V])), 0);
    return tf.softmax(last) as tf.Tensor2D;
  });
}

/**
 * Runs `rows` (token ids, none empty, none over the model's length) through `model`.
 * @param labels class names by index (classification heads)
 * @param maxLength positions a causal-LM continuation may grow to
 */
export function predictBatch(
  model: TransformerModel, head: HeadKind, tokenizer: HfTokenizer, labels: string[], rows: number[][], opts: PredictOptions, maxLength: number,
): Prediction[] {
  const padId = tokenizer.padTokenId ?? 0;
  const name = (i: number) => labels[i] ?? `LABEL_${i}`;
  if (head === 'sequence-classification') {
    const probs = read<number[][]>(() => tf.softmax(model.forward(batchInputs(rows, padId), { training: false })));
    return probs.map((p) => {
      const best = p.indexOf(Math.max(...p));
      return { label: name(best), probabilities: Object.fromEntries(p.map((v, i) => [name(i), v])) };
    });
  }
  if (head === 'token-classification') {
    const probs = read<number[][][]>(() => tf.softmax(model.forward(batchInputs(rows, padId), { training: false })));
    return rows.map((ids, b) => ({
      tokens: ids.map((id, t) => {
        const p = probs[b][t];
        const best = p.indexOf(Math.max(...p));
        return { token: tokenizer.decode([id]), tag: name(best), probability: p[best] };
      }),
    }));
  }
  const k = Math.min(opts.topK, model.config.vocabSize);
  const first = lastTokenProbs(model, rows, padId);
  const top = tf.topk(first, k);
  const values = top.values.arraySync() as number[][];
  const indices = top.indices.arraySync() as number[][];
  let next = read<number[]>(() => tf.argMax(first, 1));
  tf.dispose([first, top.values, top.indices]);
  const grown = rows.map((r) => [...r]);
  const added: number[][] = rows.map(() => []);
  for (let step = 0; step < opts.maxNewTokens; step++) {
    const live = grown.map((_, b) => b).filter((b) => grown[b].length < maxLength);
    if (!live.length) break;
    for (const b of live) {
      grown[b].push(next[b]);
      added[b].push(next[b]);
    }
    if (step === opts.maxNewTokens - 1) break;
    const stillRoom = live.filter((b) => grown[b].length < maxLength);
    if (!stillRoom.length) break;
    const p = lastTokenProbs(model, stillRoom.map((b) => grown[b]), padId);
    const picked = read<number[]>(() => tf.argMax(p, 1));
    p.dispose();
    next = [...next];
    stillRoom.forEach((b, i) => { next[b] = picked[i]; });
  }
  return rows.map((_, b) => ({
    topK: indices[b].map((id, i) => ({ token: tokenizer.decode([id]), id, probability: values[b][i] })),
    // The tokenizer refuses to decode no ids.
    continuation: added[b].length ? tokenizer.decode(added[b]) : '',
    continuationIds: added[b],
  }));
}
