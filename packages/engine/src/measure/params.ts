import type * as tf from '@tensorflow/tfjs';
import type { PeftAttachment, TransformerModel } from '../types.js';

export interface ParamCounts {
  trainableParams: number;
  /** Base weights plus any weights the attachment adds (each variable counted once). */
  totalParams: number;
  /** trainable / total, in [0, 1]. */
  trainableShare: number;
}

/**
 * Counts parameters by variable identity, so full fine-tuning (whose trainable
 * map holds the base variables themselves) is not counted twice.
 */
export function countParams(model: TransformerModel, attachment: PeftAttachment | null): ParamCounts {
  const all = new Set<tf.Variable>(model.weights.values());
  let trainable = 0;
  if (attachment) {
    for (const v of attachment.trainable.values()) {
      trainable += v.size;
      all.add(v);
    }
  }
  let total = 0;
  for (const v of all) total += v.size;
  return { trainableParams: trainable, totalParams: total, trainableShare: total > 0 ? trainable / total : 0 };
}
