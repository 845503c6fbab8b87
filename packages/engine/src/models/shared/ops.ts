/**
 * Building blocks shared by the families. Every function is synchronous and
 * meant to run inside the caller's `tf.tidy`.
 *
 * Speed notes (see ENVIRONMENT.md):
 * - On wasm only non-transposed 2-D matMuls run on XNNPACK and `tf.gather` has
 *   no gradient (UnsortedSegmentSum is missing), so there linears carry custom
 *   gradients that transpose explicitly and call plain 2-D matMuls.
 * - On the native backend (and cpu) the cost is per-kernel dispatch: a plain
 *   2-D `tf.matMul` + bias add under autodiff is 2 kernels forward and 3–4
 *   backward, where `tf.fused.matMul` is 7 (tfjs-node reshapes to rank 3 and
 *   adds the bias separately) and the custom gradient adds explicit transposes.
 * - LayerNorm, GELU and the loss have hand-written gradients on every backend:
 *   tfjs autodiff of their elementwise chains emits 3–4× more kernels
 *   (broadcast reductions, reshapes, float casts) than the closed form.
 * Frozen weights get no gradient work: autodiff prunes them, custom gradients
 * only take trainable inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { peftKernels } from '../../native/kernels.js';
import { fusedDropout, fusedGelu, fusedGlu, fusedLayerNorm, fusedRmsNorm } from './fused-ops.js';

/**
 * Dropout (training only; the caller checks). With the fused kernels the mask is a hash of a
 * seed drawn from Math.random and is regenerated for the gradient; tf.dropout draws its
 * uniforms in JavaScript (10–25 ms for a GPT-2-sized activation) and keeps the mask. The two
 * paths draw different masks of the same distribution.
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number): T {
  const kernels = peftKernels();
  return (kernels ? fusedDropout(kernels, x, rate) : tf.dropout(x, rate)) as T;
}

export function isTrainable(t: tf.Tensor | undefined): boolean {
  return t instanceof tf.Variable && t.trainable;
}

/** Linears with explicit-transpose custom gradients only where they pay (wasm's XNNPACK). */
function transposingGradients(): boolean {
  return tf.getBackend() === 'wasm';
}

/** a·b with optional transposes, for hand-written gradients: explicit transposes on wasm so XNNPACK takes the product. */
export function matMulT(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  if (!transposingGradients()) return tf.matMul(a, b, transposeA, transposeB);
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/**
 * `y = x·W + b`. x: [n, in], W: [in, out], b: [out] → [n, out].
 * Gradients: dx = dy·Wᵀ, dW = xᵀ·dy, db = Σdy, each computed only when needed. A custom
 * gradient on every backend for memory: autodiff would save x even for a frozen W (LoRA's base
 * linears, whose dW is never computed) and the bias add would save the whole [n, out] product
 * (tfjs's Add keeps both inputs for their shapes); this saves x only when W trains.
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const wGrad = isTrainable(w);
  const bGrad = b !== undefined && isTrainable(b);
  const inputs: tf.Tensor[] = [x];
  if (wGrad) inputs.push(w);
  if (bGrad) inputs.push(b!);
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xi = args[0] as tf.Tensor2D;
    save(wGrad ? [w, xi] : [w]);
    // wasm's XNNPACK takes the fused product; elsewhere a plain matMul + add is fewer kernels.
    const value = transposingGradients() ? tf.fused.matMul({ a: xi, b: w, bias: b }) : b ? tf.add(tf.matMul(xi, w), b) : tf.matMul(xi, w);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const d = dy as tf.Tensor2D;
        const grads: tf.Tensor[] = [matMulT(d, saved[0] as tf.Tensor2D, false, true)];
        if (wGrad) grads.push(matMulT(saved[1] as tf.Tensor2D, d, true, false));
        if (bGrad) grads.push(tf.sum(d, 0));
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor2D;
}

/**
 * `a + b` of two same-shape tensors (the residual stream): tfjs's Add saves both inputs for the
 * backward pass only to read their shapes; this saves nothing.
 */
export function residualAdd<T extends tf.Tensor>(a: T, b: T): T {
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[2] as tf.GradSaveFunc;
    save([]);
    return { value: tf.add(args[0] as tf.Tensor, args[1] as tf.Tensor), gradFunc: (dy: tf.Tensor) => [dy, dy.clone()] };
  });
  return op(a, b) as T;
}

/**
 * `y = x·Wᵀ` for W stored as [out, in] (tied LM head, LoRA A/B in peft layout).
 * x: [n, in] → [n, out].
 */
export function denseTransposed(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (!transposingGradients()) return tf.matMul(x, w, false, true);
  const wGrad = isTrainable(w);
  const inputs: tf.Tensor[] = wGrad ? [x, w] : [x];
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xi = args[0] as tf.Tensor2D;
    save([xi, w]);
    return {
      value: tf.matMul(xi, tf.transpose(w)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const d = dy as tf.Tensor2D;
        const grads: tf.Tensor[] = [tf.matMul(d, ws)];
        if (wGrad) grads.push(tf.matMul(tf.transpose(d), xs));
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor2D;
}

/**
 * Row lookup `table[ids]`. ids: int32 [...], table: [rows, d] → [..., d].
 * The gradient scatters (sums) dy into the rows, which works on every backend.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const flat = ids.reshape([-1]) as tf.Tensor1D;
  if (!isTrainable(table)) return tf.gather(table, flat).reshape([...ids.shape, table.shape[1]]);
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[1] as tf.GradSaveFunc;
    save([flat]);
    return {
      value: tf.gather(args[0] as tf.Tensor2D, flat),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.scatterND(saved[0].expandDims(1), dy, table.shape),
    };
  });
  return (op(table) as tf.Tensor).reshape([...ids.shape, table.shape[1]]);
}

/**
 * LayerNorm over the last axis, with a closed-form gradient:
 * x̂ = (x − μ)·r, r = 1/√(σ² + eps); y = x̂·γ + β;
 * dx = r·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ; dγ = Σ dy·x̂; dβ = Σ dy.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const kernels = peftKernels();
  if (kernels) return fusedLayerNorm(kernels, x, gamma, beta, eps);
  const gammaGrad = isTrainable(gamma);
  const betaGrad = isTrainable(beta);
  const inputs: tf.Tensor[] = [x];
  if (gammaGrad) inputs.push(gamma);
  if (betaGrad) inputs.push(beta);
  const rowAxes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xi = args[0] as tf.Tensor;
    const mean = tf.mean(xi, -1, true);
    const centred = tf.sub(xi, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps));
    const xhat = tf.mul(centred, rstd);
    save([xhat, rstd]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, r] = saved;
        const g = tf.mul(dy, gamma);
        const inner = tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true)));
        const grads: tf.Tensor[] = [tf.mul(inner, r)];
        if (gammaGrad) grads.push(tf.sum(tf.mul(dy, xh), rowAxes));
        if (betaGrad) grads.push(tf.sum(dy, rowAxes));
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor;
}

/** RMSNorm (Llama): x / √(mean(x²) + eps) · (w + offset); Gemma's offset is 1. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number, offset = 0): tf.Tensor {
  const kernels = peftKernels();
  if (kernels) return fusedRmsNorm(kernels, x, weight, eps, offset);
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), offset === 0 ? weight : tf.add(weight, offset));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_K0 = 2 * SQRT_2_OVER_PI;
const GELU_K1 = 2 * SQRT_2_OVER_PI * 0.044715;

/**
 * GELU, tanh approximation (GPT-2 "gelu_new", "gelu_pytorch_tanh"), as
 * 0.5·x·(1 + tanh(u)) = x·σ(2u) with 2u = x·(k0 + k1·x²): 6 kernels forward,
 * and the closed-form gradient σ + x·σ(1−σ)·(k0 + 3k1·x²) instead of autodiff's ~20.
 */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  const kernels = peftKernels();
  if (kernels) return fusedGelu(kernels, x, true);
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[1] as tf.GradSaveFunc;
    const xi = args[0] as tf.Tensor;
    const { sq, s, value } = geluTanhForward(xi);
    save([xi, sq, s]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, sqs, ss] = saved;
        return [tf.mul(dy, geluTanhDerivative(xs, sqs, ss))];
      },
    };
  });
  return op(x) as tf.Tensor;
}

/** GELU-tanh's value x·s with s = σ(x·(k0 + k1·x²)), and the x² and s its derivative needs. */
export function geluTanhForward(x: tf.Tensor): { sq: tf.Tensor; s: tf.Tensor; value: tf.Tensor } {
  const sq = tf.square(x);
  const s = tf.sigmoid(tf.mul(x, tf.add(tf.mul(sq, GELU_K1), GELU_K0)));
  return { sq, s, value: tf.mul(x, s) };
}

/** d/dx GELU-tanh = s + x·s(1−s)·(k0 + 3k1·x²), from geluTanhForward's x² and s. */
export function geluTanhDerivative(x: tf.Tensor, sq: tf.Tensor, s: tf.Tensor): tf.Tensor {
  const slope = tf.add(tf.mul(sq, 3 * GELU_K1), GELU_K0);
  return tf.add(s, tf.mul(tf.mul(x, tf.sub(s, tf.square(s))), slope));
}

/** Exact GELU (BERT "gelu"): 0.5·x·(1 + erf(x/√2)). */
export function geluErf(x: tf.Tensor): tf.Tensor {
  const kernels = peftKernels();
  if (kernels) return fusedGelu(kernels, x, false);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** SwiGLU's silu(gate)·up (Llama's MLP). */
export function swiGlu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return glu(gate, up, 'silu');
}

/** A gated MLP unit act(gate)·up: SwiGLU ('silu', Llama) or GeGLU ('gelu_tanh', Gemma); one kernel where the fused kernels exist. */
export function glu(gate: tf.Tensor, up: tf.Tensor, act: 'silu' | 'gelu_tanh'): tf.Tensor {
  const kernels = peftKernels();
  if (kernels) return fusedGlu(kernels, gate, up, act);
  return tf.mul(act === 'silu' ? silu(gate) : geluTanh(gate), up);
}

/** act(x + bias) for a linear's bare product x: GELU's bias add folds into the fused kernel. */
export function biasActivation(name: string, x: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  const kernels = peftKernels();
  const gelu = name === 'gelu' ? false : ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'].includes(name) ? true : null;
  if (kernels && gelu !== null) return fusedGelu(kernels, x, gelu, bias) as tf.Tensor2D;
  return activation(name, tf.add(x, bias)) as tf.Tensor2D;
}

export function activation(name: string, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return geluTanh(x);
    case 'gelu':
      return geluErf(x);
    case 'relu':
      return tf.relu(x);
    case 'silu':
    case 'swish':
      return silu(x);
    default:
      throw new Error(`activation ${name} reached the model unchecked`);
  }
}

export const SUPPORTED_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'gelu', 'relu', 'silu', 'swish'];
