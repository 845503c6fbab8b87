/**
 * The LoRA update added to a frozen linear's output, as one custom-gradient op:
 *   loraAdd(x, y, A, B, s) = y + s·(x·Aᵀ)·Bᵀ
 * x: [n, in] (after LoRA dropout), y: [n, out] (the base linear's output), A: [r, in], B: [out, r].
 *
 * Why one op: under autodiff the same sum is four taped kernels per LoRA layer, and the tape
 * keeps a copy of each [n, out] intermediate until the backward pass (what made a LoRA step's
 * peak tensor bytes exceed full fine-tuning's). Here the tape keeps x (alive anyway) and the
 * small low = s·x·Aᵀ [n, r].
 * Gradients: dy passes to y; dLow = dy·B; dB = dyᵀ·low; dA = s·dLowᵀ·x; dx = s·dLow·A.
 * A frozen A or B (another adapter's, or a merged one) gets no gradient work.
 */
import * as tf from '@tensorflow/tfjs';
import { isTrainable, matMulT as mm } from '../../models/shared/ops.js';

export function loraAdd(x: tf.Tensor2D, y: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, scaling: number): tf.Tensor2D {
  const aGrad = isTrainable(a);
  const bGrad = isTrainable(b);
  const inputs: tf.Tensor[] = [x, y];
  if (aGrad) inputs.push(a);
  if (bGrad) inputs.push(b);
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xi, yi] = args as [tf.Tensor2D, tf.Tensor2D];
    const low = tf.mul(mm(xi, a, false, true), scaling) as tf.Tensor2D;
    save([xi, low]);
    return {
      value: tf.add(yi, mm(low, b, false, true)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, lows] = saved as [tf.Tensor2D, tf.Tensor2D];
        const d = dy as tf.Tensor2D;
        const dLowScaled = tf.mul(mm(d, b, false, false), scaling) as tf.Tensor2D;
        const grads: tf.Tensor[] = [mm(dLowScaled, a, false, false), d];
        if (aGrad) grads.push(mm(dLowScaled, xs, true, false));
        if (bGrad) grads.push(mm(d, lows, true, false));
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor2D;
}
