/**
 * DoRA (Liu et al. 2024, "Weight-Decomposed Low-Rank Adaptation"), LoRA with `useDora: true`, as
 * peft 0.21 computes it (`peft/tuners/lora/dora.py`, `DoraLinearLayer` / `DoraLinearVariant`):
 * the adapted weight W + s·BA is split into a learned magnitude m [out] and its direction, so
 *
 *   y = b + (m / ‖W + s·BA‖)ᵀ ⊙ (x·W + s·(x·Aᵀ)·Bᵀ)
 *
 * where ‖·‖ is the L2 norm of each output unit's weights (peft: `linalg.norm(W + s·BA, dim=1)` on
 * nn.Linear's [out, in]; here over the input axis of our [in, out] layout). peft detaches the
 * norm (the paper's section 4.3: it follows ΔV but receives no gradient), so A and B get gradient
 * through the numerator only and m through the quotient. m starts at ‖W‖ (B = 0), so a fresh DoRA
 * adapter leaves the model unchanged. With LoRA dropout while training, peft runs the DoRA branch on
 * the dropped input and recomputes its base product x_d·W without bias:
 *   y = x·W + b + (m/‖…‖ − 1) ⊙ x_d·W + (m/‖…‖) ⊙ s·(x_d·Aᵀ)·Bᵀ.
 * Merged: W' = (m / ‖W + ΔW‖) ⊙ (W + ΔW) per output column (bias unchanged).
 */
import * as tf from '@tensorflow/tfjs';
import { dense } from '../../models/shared/ops.js';
import { loraAdd } from './lora-add.js';

/** Runs `f` outside the gradient tape: its result is a constant for the backward pass (torch's `.detach()`). */
function detached<T extends tf.Tensor>(f: () => T): T {
  return tf.customGrad((save: unknown) => {
    (save as tf.GradSaveFunc)([]);
    return { value: f(), gradFunc: () => [] };
  })() as T;
}

/**
 * ‖W + s·AᵀBᵀ‖ per output unit, detached: w [in, out] (the base weight as the model holds it),
 * a [r, in], b [out, r] → [out].
 */
export function doraWeightNorm(w: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, scaling: number): tf.Tensor1D {
  return detached(() => tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.add(w, tf.mul(tf.matMul(a, b, true, true), scaling))), 0)) as tf.Tensor1D));
}

export interface DoraInputs {
  /** [n, in]: the linear's input. */
  x: tf.Tensor2D;
  /** [n, out]: the base linear's output x·W + bias. */
  y: tf.Tensor2D;
  /** [out], or undefined when the linear has none. */
  bias?: tf.Tensor1D;
  /** [in, out]: the frozen base weight. */
  weight: tf.Tensor2D;
  /** [r, in] */
  loraA: tf.Tensor2D;
  /** [out, r] */
  loraB: tf.Tensor2D;
  /** [out] */
  magnitude: tf.Tensor1D;
  scaling: number;
  /** LoRA dropout's output on x (training with dropout > 0), else undefined. */
  dropped?: tf.Tensor2D;
}

/** The DoRA linear's output (see the file comment), [n, out]. */
export function doraLinear(i: DoraInputs): tf.Tensor2D {
  const scale = tf.div(i.magnitude, doraWeightNorm(i.weight, i.loraA, i.loraB, i.scaling));
  if (!i.dropped) {
    // peft: result + (scale − 1)·(result − bias) + scale·s·lora(x) = bias + scale·(result − bias + s·lora(x)).
    const noBias = i.bias ? (tf.sub(i.y, i.bias) as tf.Tensor2D) : i.y;
    const scaled = tf.mul(loraAdd(i.x, noBias, i.loraA, i.loraB, i.scaling), scale) as tf.Tensor2D;
    return i.bias ? (tf.add(scaled, i.bias) as tf.Tensor2D) : scaled;
  }
  const baseDropped = dense(i.dropped, i.weight);
  const branch = tf.mul(loraAdd(i.dropped, baseDropped, i.loraA, i.loraB, i.scaling), scale);
  return tf.sub(tf.add(i.y, branch), baseDropped) as tf.Tensor2D;
}

/** The merged weight (m / ‖W + ΔW‖) ⊙ (W + ΔW), ΔW = s·AᵀBᵀ, in the model's [in, out] layout. */
export function doraMergedWeight(w: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, magnitude: tf.Tensor1D, scaling: number): tf.Tensor2D {
  return tf.tidy(() => {
    const sum = tf.add(w, tf.mul(tf.matMul(a, b, true, true), scaling));
    const norm = tf.sqrt(tf.sum(tf.square(sum), 0));
    return tf.mul(sum, tf.div(magnitude, norm).reshape([1, -1])) as tf.Tensor2D;
  });
}
