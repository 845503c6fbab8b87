/**
 * An adapter module as one custom-gradient op:
 *   bottleneck(x) = x + act(x·Wd + bd)·Wu + bu      x: [n, d], Wd: [d, m], Wu: [m, d]
 *
 * Why one op: under autodiff the module is 7–8 taped kernels, and the tape keeps a copy of
 * three [n, d] intermediates per module until the backward pass (what made an adapter step's
 * peak tensor bytes exceed full fine-tuning's). Here the tape keeps x (alive anyway) and the
 * small pre-activation a = x·Wd + bd [n, m]; act(a) is recomputed in the backward pass.
 * Gradients: dz = dy·Wuᵀ; da = dz ⊙ act'(a); dx = dy + da·Wdᵀ; dWd = xᵀ·da; dbd = Σda;
 * dWu = act(a)ᵀ·dy; dbu = Σdy. Frozen weights get no gradient work.
 */
import * as tf from '@tensorflow/tfjs';
import { geluTanhDerivative, geluTanhForward, isTrainable, matMulT as mm } from '../../models/shared/ops.js';
import type { AdapterConfig } from './config.js';

type Activation = AdapterConfig['nonLinearity'];

/** act(a) and act'(a), closed forms (gelu is the tanh approximation, GPT-2's, shared with models/shared/ops.ts). */
function activation(kind: Activation, a: tf.Tensor): { value: tf.Tensor; derivative: () => tf.Tensor } {
  switch (kind) {
    case 'relu':
      return { value: tf.relu(a), derivative: () => tf.cast(tf.greater(a, 0), 'float32') };
    case 'tanh': {
      const t = tf.tanh(a);
      return { value: t, derivative: () => tf.sub(1, tf.square(t)) };
    }
    case 'swish': {
      const s = tf.sigmoid(a);
      return { value: tf.mul(a, s), derivative: () => tf.add(s, tf.mul(tf.mul(a, s), tf.sub(1, s))) };
    }
    case 'gelu': {
      const { sq, s, value } = geluTanhForward(a);
      return { value, derivative: () => geluTanhDerivative(a, sq, s) };
    }
  }
}

export function bottleneck(kind: Activation, x: tf.Tensor2D, downW: tf.Tensor2D, downB: tf.Tensor1D, upW: tf.Tensor2D, upB: tf.Tensor1D): tf.Tensor2D {
  const weights = [downW, downB, upW, upB];
  const train = weights.map(isTrainable);
  const inputs: tf.Tensor[] = [x, ...weights.filter((_, i) => train[i])];
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xi = args[0] as tf.Tensor2D;
    const a = tf.add(mm(xi, downW, false, false), downB) as tf.Tensor2D;
    save([xi, a]);
    const z = activation(kind, a).value as tf.Tensor2D;
    return {
      value: tf.add(xi, tf.add(mm(z, upW, false, false), upB)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, as] = saved as [tf.Tensor2D, tf.Tensor2D];
        const d = dy as tf.Tensor2D;
        const act = activation(kind, as);
        const da = tf.mul(mm(d, upW, false, true), act.derivative()) as tf.Tensor2D;
        const grads: tf.Tensor[] = [tf.add(d, mm(da, downW, false, true))];
        if (train[0]) grads.push(mm(xs, da, true, false));
        if (train[1]) grads.push(tf.sum(da, 0));
        if (train[2]) grads.push(mm(act.value as tf.Tensor2D, d, true, false));
        if (train[3]) grads.push(tf.sum(d, 0));
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor2D;
}
