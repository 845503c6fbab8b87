/**
 * Rotary position embeddings as transformers' default Llama rope:
 * inv_freq = 1/θ^(2i/d), angles = pos·inv_freq in float32, cos/sin of
 * [angles, angles], and rotate_half(x) = [-x₂, x₁]. Partial rotary (Phi-3's
 * partial_rotary_factor) rotates the first `rotaryDim` dims of each head with
 * inv_freq = 1/θ^(2i/rotaryDim) and passes the rest through: their cos is 1, their sin
 * and rotation rows 0, so the same two products and one add leave them exactly unchanged.
 */
import * as tf from '@tensorflow/tfjs';

const tables = new Map<string, { cos: Float32Array; sin: Float32Array; rotate: Float32Array }>();

function hostTables(len: number, headDim: number, theta: number, rotaryDim: number) {
  const key = `${len}:${headDim}:${theta}:${rotaryDim}`;
  let t = tables.get(key);
  if (!t) {
    const half = rotaryDim / 2;
    const cos = new Float32Array(len * headDim);
    const sin = new Float32Array(len * headDim);
    if (rotaryDim < headDim) for (let p = 0; p < len; p++) cos.fill(1, p * headDim + rotaryDim, (p + 1) * headDim);
    for (let i = 0; i < half; i++) {
      // float32 at each step, as torch computes it, so angles match to the ulp.
      const inv = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / rotaryDim)));
      for (let p = 0; p < len; p++) {
        const a = Math.fround(p * inv);
        cos[p * headDim + i] = cos[p * headDim + i + half] = Math.cos(a);
        sin[p * headDim + i] = sin[p * headDim + i + half] = Math.sin(a);
      }
    }
    // rotate_half as a [headDim, headDim] signed permutation: one plain 2-D matMul instead of slice/neg/concat.
    const rotate = new Float32Array(headDim * headDim);
    for (let i = 0; i < half; i++) {
      rotate[(i + half) * headDim + i] = -1;
      rotate[i * headDim + i + half] = 1;
    }
    t = { cos, sin, rotate };
    if (tables.size > 64) tables.clear();
    tables.set(key, t);
  }
  return t;
}

/** x: [batch·len, heads·headDim] (position-major) → same shape with rotary applied to each head's first `rotaryDim` dims. */
export function applyRotary(x: tf.Tensor2D, batch: number, len: number, heads: number, headDim: number, theta: number, rotaryDim = headDim): tf.Tensor2D {
  const t = hostTables(len, headDim, theta, rotaryDim);
  const cos = tf.tensor(t.cos, [1, len, 1, headDim]);
  const sin = tf.tensor(t.sin, [1, len, 1, headDim]);
  const rotated = tf.matMul(x.reshape([batch * len * heads, headDim]), tf.tensor(t.rotate, [headDim, headDim])).reshape([batch, len, heads, headDim]);
  const x4 = x.reshape([batch, len, heads, headDim]);
  return tf.add(tf.mul(x4, cos), tf.mul(rotated, sin)).reshape([batch * len, heads * headDim]);
}
