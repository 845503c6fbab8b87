import * as tf from '@tensorflow/tfjs';
import type { PeftAttachment, TransformerModel } from '../types.js';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface LatencyOptions {
  batchSize: number;
  seqLen: number;
  warmup?: number;
  runs?: number;
}

/** Median wall time (ms) of one inference forward pass, synced by reading the output. */
export async function measureForwardLatency(model: TransformerModel, opts: LatencyOptions): Promise<number> {
  const { batchSize: B, seqLen: S } = opts;
  const V = model.config.vocabSize;
  const ids = tf.tensor2d(Int32Array.from({ length: B * S }, (_, i) => (i * 7 + 3) % V), [B, S], 'int32');
  const mask = tf.ones([B, S], 'int32') as tf.Tensor2D;
  const inputs = { inputIds: ids, attentionMask: mask, ...(model.config.family === 'bert' ? { tokenTypeIds: tf.zeros([B, S], 'int32') as tf.Tensor2D } : {}) };
  const once = async () => {
    const t0 = performance.now();
    const out = tf.tidy(() => model.forward(inputs, { training: false }));
    await out.data();
    out.dispose();
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < (opts.warmup ?? 2); i++) await once();
    const times: number[] = [];
    for (let i = 0; i < (opts.runs ?? 5); i++) times.push(await once());
    return median(times);
  } finally {
    tf.dispose([ids, mask, ...(inputs.tokenTypeIds ? [inputs.tokenTypeIds] : [])]);
  }
}

export interface InferenceLatency {
  seqLen: number;
  /** The model as trained (attachment active, unmerged). */
  batch1Ms: number;
  batch8Ms: number;
  /** Attachment merged into the base weights (LoRA), when the method can merge. */
  mergedBatch1Ms?: number;
  mergedBatch8Ms?: number;
  /** The model with no hooks at all, for the "adds no latency" comparison. */
  baseBatch1Ms: number;
  baseBatch8Ms: number;
}

/**
 * Inference latency at batch 1 and 8: as trained, merged (if the attachment
 * can merge; unmerged again afterwards) and without any hooks.
 */
export async function measureInferenceLatency(
  model: TransformerModel,
  attachment: PeftAttachment | null,
  opts: { seqLen: number; warmup?: number; runs?: number },
): Promise<InferenceLatency> {
  const at = (batchSize: number) => measureForwardLatency(model, { ...opts, batchSize });
  const batch1Ms = await at(1);
  const batch8Ms = await at(8);
  const out: InferenceLatency = { seqLen: opts.seqLen, batch1Ms, batch8Ms, baseBatch1Ms: Infinity, baseBatch8Ms: Infinity };
  const hooks = model.hooks;
  const base = async () => {
    model.hooks = null;
    try {
      out.baseBatch1Ms = Math.min(out.baseBatch1Ms, await at(1));
      out.baseBatch8Ms = Math.min(out.baseBatch8Ms, await at(8));
    } finally {
      model.hooks = hooks;
    }
  };
  if (!(attachment?.merge && attachment.unmerge)) {
    await base();
    return out;
  }
  // Merged and base interleaved (merged, base, merged, base), each the faster of its two: this
  // VM's speed drifts minute to minute, and the merge claim compares these two numbers. Merged
  // once: a base forward with merged weights costs what the base costs (same kernels).
  attachment.merge();
  try {
    out.mergedBatch1Ms = Infinity;
    out.mergedBatch8Ms = Infinity;
    for (let round = 0; round < 2; round++) {
      out.mergedBatch1Ms = Math.min(out.mergedBatch1Ms, await at(1));
      out.mergedBatch8Ms = Math.min(out.mergedBatch8Ms, await at(8));
      await base();
    }
  } finally {
    attachment.unmerge();
  }
  return out;
}
