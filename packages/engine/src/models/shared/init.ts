// Weight initialisation: the seeded value each weight of a model starts from (normal(0,
// initializer_range) weights, zero biases, unit norms — what `weightSpecs()` declares),
// and tfjs variable names unique per model.
import * as tf from '@tensorflow/tfjs';
import type { TransformerBase, WeightSpec } from './transformer-base.js';

/** The seeded initial value of weight number `index` of a model (what createModel gives it). */
export function initialWeight(spec: WeightSpec, seed: number, index: number): tf.Tensor {
  return initialValue(spec, seed * 100_003 + index);
}

function initialValue(spec: WeightSpec, seed: number): tf.Tensor {
  switch (spec.init.kind) {
    case 'zeros':
      return tf.zeros(spec.shape);
    case 'ones':
      return tf.ones(spec.shape);
    case 'normal':
      return tf.randomNormal(spec.shape, 0, spec.init.std, 'float32', seed);
  }
}

/** Gives every weight of an empty model its seeded initial value, frozen (`trainable = false`). */
export function initializeWeights<M extends TransformerBase>(model: M, seed = 0): M {
  model.weightSpecs().forEach((spec, i) => {
    const value = initialWeight(spec, seed, i);
    model.weights.set(spec.name, tf.variable(value, false, `${spec.name}#${nextId()}`));
    value.dispose();
  });
  return model;
}

let counter = 0;
/** tfjs variable names are global; suffix them so two models can hold the same HF name. */
export function nextId(): number {
  return ++counter;
}
