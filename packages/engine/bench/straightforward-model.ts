/**
 * The "straightforward tfjs-node model" of ENVIRONMENT.md's speed table, rebuilt so
 * bench:engine can time it on the same machine, in the same minute, as our engine:
 * the same GPT-2-like pre-LN decoder written the obvious way (tf.moments LayerNorm,
 * GELU-tanh formula, fused QKV matMul, additive causal mask, softmaxCrossEntropy,
 * tf.train.adam().minimize). Cloud VMs here vary several-fold in speed from hour to
 * hour; a ratio to this model is stable where absolute milliseconds are not.
 */
import * as tf from '@tensorflow/tfjs';

export interface RefConfig { n_embd: number; n_layer: number; n_head: number; n_inner: number; seq: number; batch: number }

/** Median ms per training step (after `warmup` steps) of the straightforward model at `c`. */
export async function timeStraightforwardModel(c: RefConfig, steps: number, warmup: number, vocab = 256): Promise<number> {
  const { n_embd: d, n_layer: layersCount, n_head: heads, n_inner: ffn, seq: T, batch: B } = c;
  const hd = d / heads;
  const normal = (shape: number[]) => tf.variable(tf.randomNormal(shape, 0, 0.02, 'float32', 1));
  const wte = normal([vocab, d]);
  const wpe = normal([T, d]);
  const layers = Array.from({ length: layersCount }, () => ({
    g1: tf.variable(tf.ones([d])), b1: tf.variable(tf.zeros([d])),
    wqkv: normal([d, 3 * d]), bqkv: tf.variable(tf.zeros([3 * d])), wo: normal([d, d]), bo: tf.variable(tf.zeros([d])),
    g2: tf.variable(tf.ones([d])), b2: tf.variable(tf.zeros([d])),
    w1: normal([d, ffn]), c1: tf.variable(tf.zeros([ffn])), w2: normal([ffn, d]), c2: tf.variable(tf.zeros([d])),
  }));
  const gf = tf.variable(tf.ones([d]));
  const bf = tf.variable(tf.zeros([d]));
  const mask = tf.tidy(() => tf.linalg.bandPart(tf.ones([T, T]), -1, 0).sub(1).mul(1e9));
  const layerNorm = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(variance.add(1e-5).rsqrt()).mul(g).add(b);
  };
  const gelu = (x: tf.Tensor) => x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
  const ids = tf.randomUniform([B, T], 0, vocab, 'int32', 2);
  const targets = tf.tidy(() => tf.oneHot(tf.randomUniform([B * T], 0, vocab, 'int32', 3), vocab).toFloat());
  const loss = () => {
    let h = tf.gather(wte, ids.reshape([-1])).reshape([B, T, d]).add(wpe).reshape([B * T, d]);
    for (const l of layers) {
      const a = layerNorm(h, l.g1, l.b1);
      const qkv = tf.matMul(a, l.wqkv).add(l.bqkv).reshape([B, T, 3, heads, hd]).transpose([2, 0, 3, 1, 4]);
      const [q, k, v] = tf.split(qkv, 3, 0).map((t) => t.reshape([B, heads, T, hd]));
      const att = tf.softmax(tf.matMul(q, k, false, true).mul(1 / Math.sqrt(hd)).add(mask));
      const o = tf.matMul(att, v).transpose([0, 2, 1, 3]).reshape([B * T, d]);
      h = h.add(tf.matMul(o, l.wo).add(l.bo));
      const m = layerNorm(h, l.g2, l.b2);
      h = h.add(tf.matMul(gelu(tf.matMul(m, l.w1).add(l.c1)), l.w2).add(l.c2));
    }
    const logits = tf.matMul(layerNorm(h, gf, bf), wte, false, true);
    return tf.losses.softmaxCrossEntropy(targets, logits) as tf.Scalar;
  };
  const optimizer = tf.train.adam(1e-4);
  const times: number[] = [];
  try {
    for (let i = 0; i < steps + warmup; i++) {
      const t0 = performance.now();
      const value = optimizer.minimize(loss, true)!;
      await value.data();
      value.dispose();
      if (i >= warmup) times.push(performance.now() - t0);
    }
  } finally {
    optimizer.dispose();
    tf.dispose([wte, wpe, gf, bf, mask, ids, targets, ...layers.flatMap((l) => Object.values(l))]);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
