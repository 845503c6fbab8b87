import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsError, useTestBackend } from '../../models/test-helpers.js';
import { bottleneck } from './bottleneck-op.js';

beforeAll(async () => {
  await useTestBackend();
});

// The module under plain autodiff, the reference for value and gradients.
function plainActivation(kind: string, a: tf.Tensor): tf.Tensor {
  if (kind === 'relu') return tf.relu(a);
  if (kind === 'tanh') return tf.tanh(a);
  if (kind === 'swish') return tf.mul(a, tf.sigmoid(a));
  return tf.mul(tf.mul(a, 0.5), tf.add(tf.tanh(tf.mul(tf.add(a, tf.mul(tf.pow(a, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1));
}

describe('adapter bottleneck (one custom-gradient op)', () => {
  for (const kind of ['relu', 'gelu', 'tanh', 'swish'] as const) {
    it(`${kind}: value and gradients equal autodiff's; frozen weights get none`, () => {
      const n = 6, d = 5, m = 3;
      const x = tf.randomNormal([n, d], 0, 1, 'float32', 1) as tf.Tensor2D;
      const vars = [
        tf.variable(tf.randomNormal([d, m], 0, 1, 'float32', 2)), tf.variable(tf.randomNormal([m], 0, 1, 'float32', 3)),
        tf.variable(tf.randomNormal([m, d], 0, 1, 'float32', 4)), tf.variable(tf.randomNormal([d], 0, 1, 'float32', 5)),
      ];
      const w = tf.randomNormal([n, d], 0, 1, 'float32', 6);
      type Module = (t: tf.Tensor[]) => tf.Tensor;
      const ours: Module = (t) => bottleneck(kind, t[0] as tf.Tensor2D, t[1] as tf.Tensor2D, t[2] as tf.Tensor1D, t[3] as tf.Tensor2D, t[4] as tf.Tensor1D);
      const plain: Module = (t) => tf.add(t[0], tf.add(tf.matMul(plainActivation(kind, tf.add(tf.matMul(t[0], t[1]), t[2])) as tf.Tensor2D, t[3] as tf.Tensor2D), t[4]));
      const loss = (f: Module) => (...t: tf.Tensor[]) => tf.sum(tf.mul(f(t), w)) as tf.Scalar;
      const inputs = [x, ...vars];
      expect(maxAbsError(ours(inputs).dataSync(), plain(inputs).dataSync())).toBeLessThan(1e-5);
      const got = tf.grads(loss(ours))(inputs);
      const want = tf.grads(loss(plain))(inputs);
      ['x', 'downW', 'downB', 'upW', 'upB'].forEach((name, i) => expect(maxAbsError(got[i].dataSync(), want[i].dataSync()), `${kind} ${name}`).toBeLessThan(1e-4));
      vars[2].trainable = false;
      const partial = tf.variableGrads(() => loss(ours)(...inputs), [vars[0], vars[1], vars[3]]);
      expect(maxAbsError(partial.grads[vars[3].name].dataSync(), want[4].dataSync())).toBeLessThan(1e-4);
      expect(maxAbsError(partial.grads[vars[0].name].dataSync(), want[1].dataSync())).toBeLessThan(1e-4);
      tf.dispose([x, w, ...vars, ...got, ...want, partial.value, ...Object.values(partial.grads)]);
    });
  }
});
