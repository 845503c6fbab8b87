import * as tf from '@tensorflow/tfjs';
import type { Batch, HeadKind, TransformerModel } from '../types.js';
import { lmHeadCrossEntropySum } from './lm-head-loss.js';
import { IGNORE_INDEX } from './collate.js';

/**
 * Mean cross-entropy over positions whose label is not -100.
 * logits [N, C], labels [N] int32. The picked logit comes from a one-hot
 * product (tf.gather's gradient needs UnsortedSegmentSum, missing on wasm),
 * and the gradient is the closed form w·(softmax − onehot)·dy: ~4 kernels
 * where autodiff of logSumExp − picked emits ~45.
 * Returns [sum, count] so evaluation can pool over batches.
 */
export function maskedCrossEntropySum(logits: tf.Tensor2D, labels: tf.Tensor1D): { sum: tf.Scalar; count: tf.Scalar } {
  const [N, C] = logits.shape;
  const labelCol = labels.reshape([N, 1]);
  const valid = labelCol.notEqual(IGNORE_INDEX);
  const safe = tf.where(valid, labelCol, tf.zerosLike(labelCol)).reshape([N]);
  // tfjs-backend-wasm 4.22's OneHot writes all zeros when asked for float32
  // output (int32 is right): cast there, one kernel fewer elsewhere.
  const onehot = tf.getBackend() === 'wasm' ? tf.oneHot(safe, C).toFloat() : tf.oneHot(safe, C, 1, 0, 'float32');
  const w = valid.toFloat();
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[1] as tf.GradSaveFunc;
    const x = args[0] as tf.Tensor2D;
    const max = tf.max(x, -1, true);
    const e = tf.exp(tf.sub(x, max));
    const total = tf.sum(e, -1, true);
    const nll = tf.sub(tf.add(tf.log(total), max), tf.sum(tf.mul(x, onehot), -1, true));
    // Everything the gradient reads must be saved: the forward scope disposes the rest before backprop.
    save([e, total, onehot, w]);
    return {
      value: tf.sum(tf.mul(nll, w)) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [es, ts, oh, ws] = saved;
        return [tf.mul(tf.sub(tf.div(es, ts), oh), tf.mul(ws, dy))];
      },
    };
  });
  return { sum: op(logits) as tf.Scalar, count: w.sum() as tf.Scalar };
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
  return maskedCrossEntropySum(logits.reshape([B * S, C]), nextTokenLabels(labels));
}

/**
 * Causal LM labels [B, S] → [B·S] next-token targets. Shifting the labels instead of slicing
 * the logits (no [B, S, C] copy and its gradient pad): the last position gets label -100 and
 * drops out of the sum and the count.
 */
export function nextTokenLabels(labels: tf.Tensor): tf.Tensor1D {
  const [B, S] = labels.shape as [number, number];
  const ids = labels.dtype === 'int32' ? labels : labels.toInt();
  return tf.concat([ids.slice([0, 1], [B, S - 1]), tf.fill([B, 1], IGNORE_INDEX, 'int32')], 1).reshape([B * S]) as tf.Tensor1D;
}

/**
 * The mean training loss of one batch. Causal LMs whose head is a plain product take the
 * fused LM head + cross-entropy (lm-head-loss.ts: logits never all held); the rest run
 * `forward` and `taskLoss`. Call inside the gradient scope.
 */
export function trainingLoss(model: TransformerModel, task: HeadKind, batch: Batch): tf.Scalar {
  const fused = task === 'causal-lm' ? model.forwardHidden?.(batch, { training: true }) : null;
  if (!fused) return taskLoss(task, model.forward(batch, { training: true }), batch.labels);
  const { sum, count } = lmHeadCrossEntropySum(fused.hidden, fused.head, nextTokenLabels(batch.labels));
  return sum.div(count.maximum(1)) as tf.Scalar;
}

/** Mean loss (scalar) for training. */
export function taskLoss(task: HeadKind, logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const { sum, count } = taskLossSum(task, logits, labels);
  return sum.div(count.maximum(1)) as tf.Scalar;
}
