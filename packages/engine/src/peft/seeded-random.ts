import * as tf from '@tensorflow/tfjs';

/**
 * `tf.randomNormal` whose seed is always honoured. tfjs treats seed 0 as no seed (`seed ? seed :
 * Math.random()` in MPRandGauss), so an adapter or prefix created with the default seed 0 started
 * from a different draw each time; 0 maps to 0.5 here (integer seeds never collide with it) and
 * every other seed draws what it drew before.
 */
export function seededNormal(shape: number[], mean: number, std: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, mean, std, 'float32', seed === 0 ? 0.5 : seed);
}
