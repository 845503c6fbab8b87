/**
 * Activation (gradient) checkpointing of one transformer layer: the forward pass runs the layer
 * without recording it and keeps only its input; the backward pass runs it again under a
 * gradient scope and hands back the gradients of the input and of the layer's trainable
 * variables. Memory: one [tokens × dModel] tensor per layer instead of everything the layer's
 * ops save; time: one more forward pass of the layers.
 *
 * Dropout must draw the same masks twice: the layer runs under a Math.random seeded from one
 * draw taken at the first run (both the fused kernels' seeds and tf.dropout come from it).
 */
import * as tf from '@tensorflow/tfjs';
import { withSeededMathRandom } from '../../util/rng.js';

export function checkpointedLayer<C extends tf.Tensor[]>(
  h: tf.Tensor2D, context: C, variables: tf.Variable[], body: (h: tf.Tensor2D, context: C) => tf.Tensor2D,
): tf.Tensor2D {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const run = (x: tf.Tensor2D, ctx: C) => withSeededMathRandom(seed, () => body(x, ctx));
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const x = args[0] as tf.Tensor2D;
    // The context (bias, mask) is saved with the input: the forward scope disposes the originals.
    save([x, ...context]);
    return {
      value: run(x, context),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ...ctx] = saved as [tf.Tensor2D, ...tf.Tensor[]];
        // The engine's own gradients(): a fresh tape for the layer, inside the outer backward pass.
        const { grads } = (tf.engine() as unknown as {
          gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor, allowNoGradients: boolean): { value: tf.Tensor; grads: (tf.Tensor | null)[] };
        }).gradients(() => run(xs, ctx as C), [xs, ...variables], dy, true);
        return grads.map((g, i) => g ?? tf.zerosLike(i === 0 ? xs : variables[i - 1]));
      },
    };
  });
  return op(h, ...variables) as tf.Tensor2D;
}
