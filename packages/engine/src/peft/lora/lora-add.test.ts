import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsError, useTestBackend } from '../../models/test-helpers.js';
import { loraAdd } from './lora-add.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('loraAdd (one custom-gradient op for y + s·(x·Aᵀ)·Bᵀ)', () => {
  it('has the value and the gradients of the same sum under autodiff, frozen factors getting none', () => {
    const n = 6, dIn = 5, dOut = 7, r = 3, s = 0.75;
    const x = tf.randomNormal([n, dIn], 0, 1, 'float32', 1) as tf.Tensor2D;
    const y = tf.randomNormal([n, dOut], 0, 1, 'float32', 2) as tf.Tensor2D;
    const a = tf.variable(tf.randomNormal([r, dIn], 0, 1, 'float32', 3) as tf.Tensor2D);
    const b = tf.variable(tf.randomNormal([dOut, r], 0, 1, 'float32', 4) as tf.Tensor2D);
    const w = tf.randomNormal([n, dOut], 0, 1, 'float32', 5);
    type Sum = (xx: tf.Tensor, yy: tf.Tensor, aa: tf.Tensor, bb: tf.Tensor) => tf.Tensor;
    const plain: Sum = (xx, yy, aa, bb) =>
      tf.add(yy, tf.matMul(tf.mul(tf.matMul(xx as tf.Tensor2D, aa as tf.Tensor2D, false, true), s) as tf.Tensor2D, bb as tf.Tensor2D, false, true));
    const ours: Sum = (xx, yy, aa, bb) => loraAdd(xx as tf.Tensor2D, yy as tf.Tensor2D, aa as tf.Tensor2D, bb as tf.Tensor2D, s);
    const loss = (f: Sum) => (...t: tf.Tensor[]) => tf.sum(tf.mul(f(t[0], t[1], t[2], t[3]), w)) as tf.Scalar;

    expect(maxAbsError(ours(x, y, a, b).dataSync(), plain(x, y, a, b).dataSync())).toBeLessThan(1e-5);
    const oursGrads = tf.grads(loss(ours))([x, y, a, b]);
    const reference = tf.grads(loss(plain))([x, y, a, b]);
    ['x', 'y', 'A', 'B'].forEach((name, i) => expect(maxAbsError(oursGrads[i].dataSync(), reference[i].dataSync()), name).toBeLessThan(1e-4));

    // Through variables, as in training: A and B trainable get gradients; a frozen B gets none.
    const viaVars = tf.variableGrads(() => loss(ours)(x, y, a, b), [a, b]);
    expect(maxAbsError(viaVars.grads[a.name].dataSync(), reference[2].dataSync())).toBeLessThan(1e-4);
    expect(maxAbsError(viaVars.grads[b.name].dataSync(), reference[3].dataSync())).toBeLessThan(1e-4);
    b.trainable = false;
    const frozenB = tf.variableGrads(() => loss(ours)(x, y, a, b), [a]);
    expect(maxAbsError(frozenB.grads[a.name].dataSync(), reference[2].dataSync())).toBeLessThan(1e-4);
    tf.dispose([x, y, a, b, w, ...oursGrads, ...reference, ...Object.values(viaVars.grads), ...Object.values(frozenB.grads), viaVars.value, frozenB.value]);
  });
});
