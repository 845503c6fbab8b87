import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { dense, denseTransposed, geluTanh, layerNorm } from './ops.js';
import { maskedCrossEntropySum } from '../../train/losses.js';
import { useTestBackend, maxAbsError } from '../test-helpers.js';

beforeAll(useTestBackend);

/** The hand-written gradients must equal tfjs autodiff of the textbook formulas. */
function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), tf.range(1, f(...a).size + 1).reshape(f(...a).shape))))(xs)).map((g) => {
    const d = g.dataSync() as Float32Array;
    g.dispose();
    return d;
  });
}

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('ops with hand-written gradients', () => {
  it('layerNorm: value and gradients (x, γ, β) match autodiff of the formula', () => {
    const [x, g, b] = [rand([6, 8], 1), tf.variable(rand([8], 2)), tf.variable(rand([8], 3))];
    const reference = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
      const { mean, variance } = tf.moments(xi, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(xi, mean), tf.sqrt(tf.add(variance, 1e-5))), gi), bi);
    };
    const got = gradsOf((xi, gi, bi) => layerNorm(xi, gi, bi, 1e-5), [x, g, b]);
    const want = gradsOf(reference, [x, g, b]);
    got.forEach((gr, i) => expect(maxAbsError(gr, want[i])).toBeLessThan(1e-3));
    const value = tf.tidy(() => maxAbsError(layerNorm(x, g, b, 1e-5).dataSync(), reference(x, g, b).dataSync()));
    expect(value).toBeLessThan(1e-5);
    tf.dispose([x, g, b]);
  });

  it('layerNorm with frozen γ, β returns only the input gradient', () => {
    const [x, g, b] = [rand([4, 8], 4), tf.variable(rand([8], 5), false), tf.variable(rand([8], 6), false)];
    const grads = tf.tidy(() => tf.grads((xi: tf.Tensor) => tf.sum(layerNorm(xi, g, b, 1e-5)))([x]));
    expect(grads).toHaveLength(1);
    tf.dispose([x, g, b, ...grads]);
  });

  it('geluTanh: value and gradient match autodiff of 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))', () => {
    const x = tf.mul(rand([5, 7], 7), 3);
    const c = Math.sqrt(2 / Math.PI);
    const reference = (xi: tf.Tensor) => tf.mul(tf.mul(xi, 0.5), tf.add(tf.tanh(tf.mul(tf.add(xi, tf.mul(tf.pow(xi, 3), 0.044715)), c)), 1));
    expect(maxAbsError(gradsOf(geluTanh, [x])[0], gradsOf(reference, [x])[0])).toBeLessThan(1e-3);
    expect(tf.tidy(() => maxAbsError(geluTanh(x).dataSync(), reference(x).dataSync()))).toBeLessThan(1e-5);
    x.dispose();
  });

  it('maskedCrossEntropySum: value and logit gradient match autodiff, ignored rows get zero gradient', () => {
    const logits = rand([5, 4], 8);
    const labels = tf.tensor1d([1, -100, 3, 0, -100], 'int32');
    const reference = (l: tf.Tensor) => {
      const logp = tf.logSoftmax(l as tf.Tensor2D);
      const w = tf.tensor2d([[1], [0], [1], [1], [0]]);
      return tf.neg(tf.sum(tf.mul(tf.mul(logp, tf.oneHot(tf.tensor1d([1, 0, 3, 0, 0], 'int32'), 4)), w)));
    };
    const ours = (l: tf.Tensor) => maskedCrossEntropySum(l as tf.Tensor2D, labels).sum;
    const [got] = tf.tidy(() => tf.grads(ours)([logits])).map((g) => g.dataSync());
    const [want] = tf.tidy(() => tf.grads(reference)([logits])).map((g) => g.dataSync());
    expect(maxAbsError(got, want)).toBeLessThan(1e-5);
    expect(Array.from(got.slice(4, 8), Math.abs)).toEqual([0, 0, 0, 0]);
    const { sum, count } = maskedCrossEntropySum(logits as tf.Tensor2D, labels);
    expect(Math.abs(sum.dataSync()[0] - reference(logits).dataSync()[0])).toBeLessThan(1e-4);
    expect(count.dataSync()[0]).toBe(3);
    tf.dispose([logits, labels, sum, count]);
  });

  it('dense and denseTransposed: gradients for input, weight and bias', () => {
    const [x, w, b, wt] = [rand([3, 4], 9), tf.variable(rand([4, 5], 10)), tf.variable(rand([5], 11)), tf.variable(rand([5, 4], 12))];
    const got = gradsOf((xi, wi, bi) => dense(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D), [x, w, b]);
    const want = gradsOf((xi, wi, bi) => tf.add(tf.matMul(xi, wi), bi), [x, w, b]);
    got.forEach((g, i) => expect(maxAbsError(g, want[i])).toBeLessThan(1e-4));
    const gotT = gradsOf((xi, wi) => denseTransposed(xi as tf.Tensor2D, wi as tf.Tensor2D), [x, wt]);
    const wantT = gradsOf((xi, wi) => tf.matMul(xi, tf.transpose(wi)), [x, wt]);
    gotT.forEach((g, i) => expect(maxAbsError(g, wantT[i])).toBeLessThan(1e-4));
    tf.dispose([x, w, b, wt]);
  });
});
