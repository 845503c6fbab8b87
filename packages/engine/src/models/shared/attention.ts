/**
 * Multi-head / grouped-query scaled dot-product attention over 2-D activations.
 * Queries stay [batch·seq, heads·headDim] until the head split, so the QKV
 * projection is one plain matMul; grouped-query attention reshapes the queries
 * into [batch, kvHeads, groups·seq, headDim] instead of tiling keys/values.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelHooks } from '../../types.js';
import { peftKernels } from '../../native/kernels.js';
import { fusedAttention, fusedAttentionQkv } from './fused-ops.js';

const NEG = -1e9;

/**
 * Additive attention bias [batch, 1, queryLen, prefixLen + queryLen]:
 * 0 where a query may look, -1e9 elsewhere. Prefix keys are always visible.
 * keyMask: [batch, queryLen] (1 = real token). `window` (causal only; Mistral's
 * sliding_window): query i sees keys j with i − window < j ≤ i, as transformers'
 * sliding-window mask; a window no shorter than the sequence changes nothing.
 */
export function attentionBias(keyMask: tf.Tensor2D, prefixLen: number, causal: boolean, window: number | null = null): tf.Tensor4D {
  const [batch, len] = keyMask.shape;
  let full: tf.Tensor2D = keyMask;
  if (prefixLen > 0) full = tf.concat([tf.ones([batch, prefixLen]), keyMask], 1);
  const padding = tf.mul(tf.sub(1, full), NEG).reshape([batch, 1, 1, prefixLen + len]);
  if (!causal) return padding as tf.Tensor4D;
  const w = window !== null && window < len ? window : null;
  return tf.add(padding, tf.tensor(causalBias(len, prefixLen, w), [1, 1, len, prefixLen + len])) as tf.Tensor4D;
}

const causalCache = new Map<string, Float32Array>();

/** Host-side causal bias [len, prefix + len], cached per shape (uploads are cheap, kept tensors would leak). */
function causalBias(len: number, prefix: number, window: number | null): Float32Array {
  const key = `${len}:${prefix}:${window}`;
  let bias = causalCache.get(key);
  if (!bias) {
    const width = prefix + len;
    bias = new Float32Array(len * width);
    for (let i = 0; i < len; i++) for (let j = prefix + i + 1; j < width; j++) bias[i * width + j] = NEG;
    if (window !== null) for (let i = 0; i < len; i++) for (let j = 0; j <= i - window; j++) bias[i * width + prefix + j] = NEG;
    if (causalCache.size > 64) causalCache.clear();
    causalCache.set(key, bias);
  }
  return bias;
}

/** [batch·seq, heads·headDim] → [batch, heads, seq, headDim] */
export function splitHeads(x: tf.Tensor, batch: number, seq: number, heads: number, headDim: number): tf.Tensor4D {
  return tf.transpose(x.reshape([batch, seq, heads, headDim]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/**
 * A fused [batch·seq, 3·heads·headDim] QKV projection → q, k, v as
 * [1, batch, heads, seq, headDim] with one reshape, one transpose and one
 * split (instead of a split plus a reshape and transpose per part: every
 * kernel costs dispatch time on the native backend). The leading 1 is kept:
 * dropping it would take three more reshapes, and batched matMul, the bias
 * and softmax broadcast over it.
 */
export function splitFusedQkv(qkv: tf.Tensor2D, batch: number, seq: number, heads: number, headDim: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const t = tf.transpose(qkv.reshape([batch, seq, 3, heads, headDim]), [2, 0, 3, 1, 4]);
  return tf.split(t, 3, 0) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * Attention of a fused QKV projection [batch·seq, 3·heads·headDim] without a prefix: one
 * kernel on the packed projection where the fused kernels exist, else the head split and
 * scaledDotProductAttention. Returns the merged heads [batch·seq, heads·headDim].
 */
export function fusedQkvAttention(qkv: tf.Tensor2D, batch: number, seq: number, heads: number, headDim: number, bias: tf.Tensor4D, dropout: number): tf.Tensor2D {
  const kernels = peftKernels();
  if (kernels) return fusedAttentionQkv(kernels, qkv, bias, heads, 1 / Math.sqrt(headDim), dropout);
  const [q, k, v] = splitFusedQkv(qkv, batch, seq, heads, headDim);
  return scaledDotProductAttention({ q, k, v, bias, dropout });
}

export interface AttentionInputs {
  /** [batch, heads, seq, headDim], or [1, batch, heads, seq, headDim] from splitFusedQkv (no grouped-query then) */
  q: tf.Tensor;
  /** [batch, kvHeads, keyLen, headDim] (prefix already prepended), or rank 5 like q */
  k: tf.Tensor;
  v: tf.Tensor;
  /** from attentionBias: [batch, 1, seq, keyLen] */
  bias: tf.Tensor4D;
  dropout: number;
}

/** Returns the merged heads [batch·seq, heads·headDim]. */
export function scaledDotProductAttention({ q, k, v, bias, dropout }: AttentionInputs): tf.Tensor2D {
  const lead = q.rank - 4;
  const [batch, heads, seq, headDim] = q.shape.slice(lead) as [number, number, number, number];
  const kvHeads = k.shape[lead + 1]!;
  const keyLen = k.shape[lead + 2]!;
  const groups = heads / kvHeads;
  const scale = 1 / Math.sqrt(headDim);
  // The whole attention, dropout included, is one fused kernel where the kernels exist.
  const kernels = peftKernels();
  if (kernels) return fusedAttention(kernels, q, k, v, bias, scale, dropout);
  const scaled = tf.mul(q, scale);
  // Heads h = kv·groups + g are contiguous, so this reshape pairs each query head with its kv head.
  const qg = groups === 1 ? scaled : scaled.reshape([batch, kvHeads, groups * seq, headDim]);
  let scores = tf.matMul(qg, k, false, true);
  if (groups !== 1) scores = scores.reshape([batch, heads, seq, keyLen]);
  let probs = tf.softmax(tf.add(scores, bias));
  if (dropout > 0) probs = tf.dropout(probs, dropout);
  if (groups !== 1) probs = probs.reshape([batch, kvHeads, groups * seq, keyLen]);
  let out = tf.matMul(probs, v);
  if (groups !== 1) out = out.reshape([batch, heads, seq, headDim]);
  return tf.transpose(out, lead ? [0, 1, 3, 2, 4] : [0, 2, 1, 3]).reshape([batch * seq, heads * headDim]);
}

/**
 * Keys/values [batch, kvHeads, seq, headDim] with layer `layer`'s prefix-tuning
 * prefixes prepended, and the attention bias extended to cover them. Without a
 * prefix hook the inputs come back unchanged.
 */
export function withAttentionPrefix(
  hooks: ModelHooks | null, layer: number, batch: number,
  kh: tf.Tensor4D, vh: tf.Tensor4D, bias: tf.Tensor4D, keyMask: tf.Tensor2D, causal: boolean, window: number | null = null,
): { kh: tf.Tensor4D; vh: tf.Tensor4D; bias: tf.Tensor4D } {
  const prefix = hooks?.attentionPrefix?.(layer, batch);
  if (!prefix) return { kh, vh, bias };
  return {
    kh: tf.concat([prefix.key as tf.Tensor4D, kh], 2),
    vh: tf.concat([prefix.value as tf.Tensor4D, vh], 2),
    bias: attentionBias(keyMask, prefix.key.shape[2]!, causal, window),
  };
}
