/**
 * The model blocks on PEFT Lab's fused kernels (`src/native/kernels.ts`): one kernel forward and
 * one backward each, where the tfjs versions in ops.ts run 4–20. ops.ts and attention.ts call
 * these when `peftKernels()` is available and keep their tfjs code otherwise; tests train the
 * same steps both ways and compare (fused-ops.test.ts).
 *
 * Each is a `tf.customGrad` whose inputs are only what needs a gradient (frozen weights get no
 * gradient work), and whose forward saves the smallest state the backward needs (LayerNorm: x
 * plus per-row mean and 1/σ, not a normalised copy). Weights the backward reads are saved too,
 * not closed over: a computed one would be disposed before backprop (saving shares the buffer).
 */
import * as tf from '@tensorflow/tfjs';
import type { PeftKernels } from '../../native/kernels.js';
import { isTrainable } from './ops.js';

type Save = tf.GradSaveFunc;

/** Gradients for the trainable ones among `candidates` (in order); disposes the others. */
function pick(grads: tf.Tensor[], wanted: boolean[]): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  grads.forEach((g, i) => (wanted[i] ? out.push(g) : g.dispose()));
  return out;
}

export function fusedLayerNorm(k: PeftKernels, x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const wanted = [true, isTrainable(gamma), isTrainable(beta)];
  const inputs = [x, gamma, beta].filter((_, i) => wanted[i]);
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as Save;
    const xi = args[0] as tf.Tensor;
    const [y, mean, rstd] = k.run('PeftLabLayerNorm', [xi, gamma, beta], { eps });
    save([xi, mean, rstd, gamma]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => pick(k.run('PeftLabLayerNormGrad', [dy, saved[0], saved[3], saved[1], saved[2]]), wanted),
    };
  });
  return op(...inputs) as tf.Tensor;
}

/** RMSNorm x / √(mean(x²) + eps) · (w + offset). */
export function fusedRmsNorm(k: PeftKernels, x: tf.Tensor, weight: tf.Tensor, eps: number, offset = 0): tf.Tensor {
  const wanted = [true, isTrainable(weight)];
  const inputs = wanted[1] ? [x, weight] : [x];
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as Save;
    const xi = args[0] as tf.Tensor;
    const [y, rstd] = k.run('PeftLabRmsNorm', [xi, weight], { eps, offset });
    save([xi, rstd, weight]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => pick(k.run('PeftLabRmsNormGrad', [dy, saved[0], saved[2], saved[1]], { offset }), wanted),
    };
  });
  return op(...inputs) as tf.Tensor;
}

/**
 * GELU of x (+ bias), tanh approximation or exact erf. With a bias the matMul's separate bias
 * add disappears: x is the bare product, and the bias gradient comes out of the same kernel.
 */
export function fusedGelu(k: PeftKernels, x: tf.Tensor, approximate: boolean, bias?: tf.Tensor): tf.Tensor {
  const wanted = [true, bias !== undefined && isTrainable(bias)];
  const inputs = wanted[1] ? [x, bias!] : [x];
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as Save;
    const xi = args[0] as tf.Tensor;
    const [y] = bias ? k.run('PeftLabBiasGelu', [xi, bias], { approximate }) : k.run('PeftLabGelu', [xi], { approximate });
    save(bias ? [xi, bias] : [xi]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => bias
        ? pick(k.run('PeftLabBiasGeluGrad', [dy, saved[0], saved[1]], { approximate }), wanted)
        : k.run('PeftLabGeluGrad', [dy, saved[0]], { approximate }),
    };
  });
  return op(...inputs) as tf.Tensor;
}

/** Gated unit act(gate)·up: SwiGLU (act 'silu') or GeGLU (act 'gelu_tanh'). */
export function fusedGlu(k: PeftKernels, gate: tf.Tensor, up: tf.Tensor, act: 'silu' | 'gelu_tanh'): tf.Tensor {
  const code = act === 'silu' ? 0 : 1;
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[2] as Save;
    const [g, u] = args as [tf.Tensor, tf.Tensor];
    const [y] = k.run('PeftLabGlu', [g, u], { act: code });
    save([g, u]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => k.run('PeftLabGluGrad', [dy, saved[0], saved[1]], { act: code }),
    };
  });
  return op(gate, up) as tf.Tensor;
}

/**
 * A dropout seed from Math.random (seeded per step by the training loop, so runs repeat); the
 * kernels regenerate the mask from it in the backward pass instead of keeping it.
 */
function dropoutSeed(): tf.Tensor {
  return tf.scalar(Math.floor(Math.random() * 2 ** 31), 'int32');
}

/** x·mask/(1 − rate); the gradient applies the same mask (same seed) to dy. */
export function fusedDropout(k: PeftKernels, x: tf.Tensor, rate: number): tf.Tensor {
  const seed = dropoutSeed();
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[1] as Save;
    const [y] = k.run('PeftLabDropout', [args[0] as tf.Tensor, seed], { rate });
    save([seed]);
    return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => k.run('PeftLabDropout', [dy, saved[0]], { rate }) };
  });
  return op(x) as tf.Tensor;
}

/**
 * Whole scaled dot-product attention per layer: q [.., batch, heads, seq, dim], k and v
 * [.., batch, kvHeads, keys, dim] (grouped-query when kvHeads < heads), bias [batch, 1, seq or 1,
 * keys] → the merged heads [batch·seq, heads·dim], with dropout on the probabilities. Saves q, k,
 * v and the bias: the backward kernel recomputes the probabilities and regenerates the dropout
 * mask from the seed.
 */
export function fusedAttention(
  k: PeftKernels, q: tf.Tensor, key: tf.Tensor, value: tf.Tensor, bias: tf.Tensor, scale: number, dropout = 0,
): tf.Tensor2D {
  const seed = dropout > 0 ? dropoutSeed() : tf.scalar(0, 'int32');
  const attrs = { scale, dropout };
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[3] as Save;
    const [qi, ki, vi] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const [out] = k.run('PeftLabAttention', [qi, ki, vi, bias, seed], attrs);
    save([qi, ki, vi, bias, seed]); // the backward pass recomputes the probabilities
    const [batch, seq, width] = out.shape;
    return {
      value: out.reshape([batch * seq, width]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => k.run('PeftLabAttentionGrad', [dy, ...saved], attrs),
    };
  });
  return op(q, key, value) as tf.Tensor2D;
}

/**
 * Attention straight from a fused QKV projection [batch·seq, 3·heads·dim] (GPT-2's c_attn
 * output, q | k | v of all heads per row): no head split, and only the projection itself and
 * the (small) mask bias are saved. bias [batch, 1, seq or 1, seq] → [batch·seq, heads·dim].
 */
export function fusedAttentionQkv(k: PeftKernels, qkv: tf.Tensor2D, bias: tf.Tensor, heads: number, scale: number, dropout = 0): tf.Tensor2D {
  const seed = dropout > 0 ? dropoutSeed() : tf.scalar(0, 'int32');
  const attrs = { heads, scale, dropout };
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[1] as Save;
    const x = args[0] as tf.Tensor2D;
    const [out] = k.run('PeftLabAttentionQkv', [x, bias, seed], attrs);
    save([x, bias, seed]); // the backward pass recomputes the probabilities
    const [batch, seq, width] = out.shape;
    return {
      value: out.reshape([batch * seq, width]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => k.run('PeftLabAttentionQkvGrad', [dy, ...saved], attrs),
    };
  });
  return op(qkv) as tf.Tensor2D;
}
