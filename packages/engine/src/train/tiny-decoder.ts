/**
 * A tiny pre-LN GPT-style decoder that implements `TransformerModel` and calls
 * every `ModelHooks` point. It exists so the training loop, the measurements
 * and the adapter/prefix/prompt methods can be tested in seconds without
 * depending on the real model families in `models/` (and it stays a second,
 * independent consumer of the hook contract).
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadKind, ModelInputs, NormalizedConfig, TransformerModel, ModelHooks } from '../types.js';

export interface TinyDecoderOptions {
  vocabSize?: number;
  dModel?: number;
  numLayers?: number;
  numHeads?: number;
  ffnDim?: number;
  maxPositions?: number;
  head?: HeadKind;
  numLabels?: number;
  seed?: number;
}

export function createTinyDecoder(opts: TinyDecoderOptions = {}): TransformerModel {
  const V = opts.vocabSize ?? 32;
  const d = opts.dModel ?? 16;
  const L = opts.numLayers ?? 2;
  const H = opts.numHeads ?? 2;
  const F = opts.ffnDim ?? 32;
  const P = opts.maxPositions ?? 64;
  const head = opts.head ?? 'causal-lm';
  const numLabels = head === 'causal-lm' ? undefined : (opts.numLabels ?? 3);
  let seed = opts.seed ?? 1;
  const config: NormalizedConfig = {
    family: 'gpt2', vocabSize: V, dModel: d, numLayers: L, numHeads: H, numKvHeads: H,
    headDim: d / H, ffnDim: F, maxPositions: P, layerNormEps: 1e-5, numLabels, extra: {},
  };
  const weights = new Map<string, tf.Variable>();
  const add = (name: string, t: tf.Tensor) => weights.set(name, tf.variable(t, true));
  const normal = (shape: number[]) => tf.randomNormal(shape, 0, 0.2, 'float32', seed++);
  add('transformer.wte.weight', normal([V, d]));
  add('transformer.wpe.weight', normal([P, d]));
  for (let i = 0; i < L; i++) {
    const p = `transformer.h.${i}`;
    add(`${p}.ln_1.weight`, tf.ones([d])); add(`${p}.ln_1.bias`, tf.zeros([d]));
    add(`${p}.attn.c_attn.weight`, normal([d, 3 * d])); add(`${p}.attn.c_attn.bias`, tf.zeros([3 * d]));
    add(`${p}.attn.c_proj.weight`, normal([d, d])); add(`${p}.attn.c_proj.bias`, tf.zeros([d]));
    add(`${p}.ln_2.weight`, tf.ones([d])); add(`${p}.ln_2.bias`, tf.zeros([d]));
    add(`${p}.mlp.c_fc.weight`, normal([d, F])); add(`${p}.mlp.c_fc.bias`, tf.zeros([F]));
    add(`${p}.mlp.c_proj.weight`, normal([F, d])); add(`${p}.mlp.c_proj.bias`, tf.zeros([d]));
  }
  add('transformer.ln_f.weight', tf.ones([d])); add('transformer.ln_f.bias', tf.zeros([d]));
  if (numLabels) add('score.weight', normal([d, numLabels]));

  const w = (n: string) => weights.get(n)!;
  const layerNorm = (x: tf.Tensor, name: string) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).div(variance.add(1e-5).sqrt()).mul(w(`${name}.weight`)).add(w(`${name}.bias`));
  };

  const model: TransformerModel = {
    config, head, weights, hooks: null as ModelHooks | null,
    gradientCheckpointing: false, // a test model: always runs its layers plainly
    forward(inputs: ModelInputs): tf.Tensor {
      const hooks = model.hooks;
      const linear = (name: string, x: tf.Tensor) => {
        const [b, s, inF] = x.shape;
        const y = x.reshape([b * s, inF]).matMul(w(`${name}.weight`)).add(w(`${name}.bias`)).reshape([b, s, -1]);
        return hooks?.linear ? hooks.linear(name, x, y) : y;
      };
      const [B, S] = inputs.inputIds.shape;
      let h: tf.Tensor = tf.gather(w('transformer.wte.weight'), inputs.inputIds.toInt());
      let mask = inputs.attentionMask.toFloat();
      let promptLen = 0;
      if (hooks?.inputEmbeddings) {
        h = hooks.inputEmbeddings(h);
        promptLen = h.shape[1]! - S;
        if (promptLen > 0) mask = tf.concat([tf.ones([B, promptLen]), mask], 1);
      }
      const T = S + promptLen;
      h = h.add(w('transformer.wpe.weight').slice([0, 0], [T, d]));
      const hd = d / H;
      for (let i = 0; i < L; i++) {
        const p = `transformer.h.${i}`;
        const qkv = linear(`${p}.attn.c_attn`, layerNorm(h, `${p}.ln_1`));
        const heads = (t: tf.Tensor) => t.reshape([B, T, H, hd]).transpose([0, 2, 1, 3]);
        const [q, k0, v0] = tf.split(qkv, 3, -1).map(heads);
        let k = k0, v = v0, prefixLen = 0;
        let keyMask = mask;
        if (hooks?.attentionPrefix) {
          const pre = hooks.attentionPrefix(i, B);
          prefixLen = pre.key.shape[2]!;
          k = tf.concat([pre.key, k], 2); v = tf.concat([pre.value, v], 2);
          keyMask = tf.concat([tf.ones([B, prefixLen]), mask], 1);
        }
        // causal: query t sees every prefix slot and keys ≤ t
        const causal = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
        const allowed = tf.concat([tf.ones([T, prefixLen]), causal], 1).reshape([1, 1, T, prefixLen + T])
          .mul(keyMask.reshape([B, 1, 1, prefixLen + T]));
        const scores = q.matMul(k, false, true).div(Math.sqrt(hd)).add(tf.scalar(1).sub(allowed).mul(-1e9));
        const ctx = tf.softmax(scores, -1).matMul(v).transpose([0, 2, 1, 3]).reshape([B, T, d]);
        let a = linear(`${p}.attn.c_proj`, ctx);
        if (hooks?.afterAttention) a = hooks.afterAttention(i, a);
        h = h.add(a);
        let f = linear(`${p}.mlp.c_proj`, tf.relu(linear(`${p}.mlp.c_fc`, layerNorm(h, `${p}.ln_2`))));
        if (hooks?.afterFfn) f = hooks.afterFfn(i, f);
        h = h.add(f);
      }
      h = layerNorm(h, 'transformer.ln_f');
      if (promptLen > 0) h = h.slice([0, promptLen, 0], [B, S, d]);
      if (head === 'causal-lm') {
        return h.reshape([B * S, d]).matMul(w('transformer.wte.weight'), false, true).reshape([B, S, V]);
      }
      if (head === 'token-classification') {
        return h.reshape([B * S, d]).matMul(w('score.weight')).reshape([B, S, numLabels!]);
      }
      const m = inputs.attentionMask.toFloat().expandDims(-1);
      const pooled = h.mul(m).sum(1).div(m.sum(1));
      return pooled.matMul(w('score.weight'));
    },
    linearModules() {
      const out = [];
      for (let i = 0; i < L; i++) {
        const p = `transformer.h.${i}`;
        out.push({ name: `${p}.attn.c_attn`, shortName: 'c_attn', inFeatures: d, outFeatures: 3 * d });
        out.push({ name: `${p}.attn.c_proj`, shortName: 'c_proj', inFeatures: d, outFeatures: d });
        out.push({ name: `${p}.mlp.c_fc`, shortName: 'c_fc', inFeatures: d, outFeatures: F });
        out.push({ name: `${p}.mlp.c_proj`, shortName: 'c_proj', inFeatures: F, outFeatures: d });
      }
      return out;
    },
    dispose() { for (const v of weights.values()) v.dispose(); weights.clear(); },
  };
  return model;
}
