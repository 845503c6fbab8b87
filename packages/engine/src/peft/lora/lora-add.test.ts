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
    const plain = (xx: tf.Tensor2D, yy: tf.Tensor2D, aa: tf.Tensor2D, bb: tf.Tensor2D) =>
      tf.add(yy, tf.matMul(tf.mul(tf.matMul(xx, aa, false, true), s) as tf.Tensor2D, bb, false, true));
    const loss = (f: typeof plain) => (xx: tf.Tensor2D, yy: tf.Tensor2D, aa: tf.Tensor2D, bb: tf.Tensor2D) => tf.sum(tf.mul(f(xx, yy, aa, bb), w));

    expect(maxAbsError(loraAdd(x, y, a, b, s).dataSync(), plain(x, y, a, b).dataSync())).toBeLessThan(1e-5);
    const ours = tf.grads(loss((xx, yy, aa, bb) => loraAdd(xx, yy, aa, bb, s)))([x, y, a, b]);
    const reference = tf.grads(loss(plain))([x, y, a, b]);
    ['x', 'y', 'A', 'B'].forEach((name, i) => expect(maxAbsError(ours[i].dataSync(), reference[i].dataSync()), name).toBeLessThan(1e-4));

    // Through variables, as in training: A and B trainable get gradients; a frozen B gets none.
    const viaVars = tf.variableGrads(() => loss((xx, yy, aa, bb) => loraAdd(xx, yy, aa, bb, s))(x, y, a, b), [a, b]);
    expect(maxAbsError(viaVars.grads[a.name].dataSync(), reference[2].dataSync())).toBeLessThan(1e-4);
    expect(maxAbsError(viaVars.grads[b.name].dataSync(), reference[3].dataSync())).toBeLessThan(1e-4);
    b.trainable = false;
    const frozenB = tf.variableGrads(() => loss((xx, yy, aa, bb) => loraAdd(xx, yy, aa, bb, s))(x, y, a, b), [a]);
    expect(maxAbsError(frozenB.grads[a.name].dataSync(), reference[2].dataSync())).toBeLessThan(1e-4);
    tf.dispose([x, y, a, b, w, ...ours, ...reference, ...Object.values(viaVars.grads), ...Object.values(frozenB.grads), viaVars.value, frozenB.value]);
  });
});
