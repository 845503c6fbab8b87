/**
 * Building blocks shared by the families. Every function is synchronous and
 * meant to run inside the caller's `tf.tidy`.
 *
 * Speed notes (see ENVIRONMENT.md): on wasm only non-transposed 2-D matMuls run
 * on XNNPACK and `tf.gather` has no gradient (UnsortedSegmentSum is missing),
 * so linears and embeddings carry custom gradients that transpose explicitly
 * and call plain 2-D matMuls, and frozen weights get no gradient work at all.
 */
import * as tf from '@tensorflow/tfjs';

function isTrainable(t: tf.Tensor | undefined): boolean {
  return t instanceof tf.Variable && t.trainable;
}

/**
 * `y = x·W + b`. x: [n, in], W: [in, out], b: [out] → [n, out].
 * Gradients: dx = dy·Wᵀ, dW = xᵀ·dy, db = Σdy, each computed only when needed.
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
    save([xi, w]);
    const value = tf.fused.matMul({ a: xi, b: w, bias: b });
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const d = dy as tf.Tensor2D;
        const grads: tf.Tensor[] = [tf.matMul(d, tf.transpose(ws))];
        if (wGrad) grads.push(tf.matMul(tf.transpose(xs), d));
        if (bGrad) grads.push(tf.sum(d, 0));
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor2D;
}

/**
 * `y = x·Wᵀ` for W stored as [out, in] (tied LM head, LoRA A/B in peft layout).
 * x: [n, in] → [n, out].
 */
export function denseTransposed(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
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

/** LayerNorm over the last axis. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** RMSNorm (Llama): x / √(mean(x²) + eps) · w. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), weight);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (GPT-2 "gelu_new", "gelu_pytorch_tanh"). */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  // √(2/π)·(x + 0.044715·x³) as x·(c + c·0.044715·x²): tf.pow and its gradient are slow kernels.
  const inner = tf.mul(x, tf.add(tf.mul(tf.square(x), SQRT_2_OVER_PI * 0.044715), SQRT_2_OVER_PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** Exact GELU (BERT "gelu"): 0.5·x·(1 + erf(x/√2)). */
export function geluErf(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
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
