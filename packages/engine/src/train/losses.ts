import * as tf from '@tensorflow/tfjs';
import type { HeadKind } from '../types.js';
import { IGNORE_INDEX } from './collate.js';

/**
 * Mean cross-entropy over positions whose label is not -100.
 * logits [N, C], labels [N] int32. Uses logSumExp − picked logit via a one-hot
 * product (tf.gather's gradient needs UnsortedSegmentSum, missing on wasm).
 * Returns [sum, count] so evaluation can pool over batches.
 */
export function maskedCrossEntropySum(logits: tf.Tensor2D, labels: tf.Tensor1D): { sum: tf.Scalar; count: tf.Scalar } {
  const C = logits.shape[1];
  const valid = labels.notEqual(IGNORE_INDEX);
  const safe = tf.where(valid, labels, tf.zerosLike(labels));
  const picked = logits.mul(tf.oneHot(safe, C, 1, 0, 'float32')).sum(-1);
  const nll = tf.logSumExp(logits, -1).sub(picked);
  const w = valid.toFloat();
  return { sum: nll.mul(w).sum() as tf.Scalar, count: w.sum() as tf.Scalar };
}

/** Loss of one head; call inside tf.tidy. Causal LM shifts: position t predicts label t+1. */
export function taskLossSum(task: HeadKind, logits: tf.Tensor, labels: tf.Tensor): { sum: tf.Scalar; count: tf.Scalar } {
  if (task === 'sequence-classification') {
    return maskedCrossEntropySum(logits as tf.Tensor2D, labels.toInt() as tf.Tensor1D);
  }
  const [B, S, C] = logits.shape as [number, number, number];
  if (task === 'token-classification') {
    return maskedCrossEntropySum(logits.reshape([B * S, C]), labels.toInt().reshape([B * S]));
  }
  const shifted = logits.slice([0, 0, 0], [B, S - 1, C]).reshape([B * (S - 1), C]) as tf.Tensor2D;
  const next = labels.toInt().slice([0, 1], [B, S - 1]).reshape([B * (S - 1)]) as tf.Tensor1D;
  return maskedCrossEntropySum(shifted, next);
}

/** Mean loss (scalar) for training. */
export function taskLoss(task: HeadKind, logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const { sum, count } = taskLossSum(task, logits, labels);
  return sum.div(count.maximum(1)) as tf.Scalar;
}
