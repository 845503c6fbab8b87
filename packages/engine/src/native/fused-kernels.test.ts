/**
 * PEFT Lab's fused kernels against the plain tfjs computation they replace, on the native
 * backend: each op's value and gradients on odd shapes, the multi-tensor AdamW, the fused LM
 * head + loss, and whole training runs (losses and weights) with the kernels on and off.
 * Skipped only where native TensorFlow itself cannot load; there the kernels never run.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../backend.js';
import { KERNELS_ENV, computeBackendLabel, peftKernels } from './kernels.js';
import { biasActivation, geluErf, geluTanh, layerNorm, rmsNorm, swiGlu } from '../models/shared/ops.js';
import { attentionBias, fusedQkvAttention, scaledDotProductAttention, splitFusedQkv } from '../models/shared/attention.js';
import { lmHeadCrossEntropySum } from '../train/lm-head-loss.js';
import { fusedAttention, fusedAttentionQkv, fusedDropout } from '../models/shared/fused-ops.js';
import { withSeededMathRandom } from '../util/rng.js';
import { maskedCrossEntropySum } from '../train/losses.js';
import { AdamW } from '../train/adamw.js';
import { createModel, normalizeHfConfig } from '../models/registry.js';
import { attachPeft } from '../peft/base.js';
import { trainTrial } from '../train/train-trial.js';
import '../peft/full/index.js';
import '../peft/lora/index.js';

const native = await selectBackend({ prefer: 'tensorflow', strict: true, log: () => {} }).then(() => true, () => false);

/** Runs f with the kernels on or off (PEFT_LAB_NATIVE_KERNELS), restoring the setting after f (or its promise) ends. */
function withKernels<T>(on: boolean, f: () => T): T {
  const prev = process.env[KERNELS_ENV];
  const restore = () => {
    if (prev === undefined) delete process.env[KERNELS_ENV];
    else process.env[KERNELS_ENV] = prev;
  };
  process.env[KERNELS_ENV] = on ? '1' : '0';
  let result: T;
  try {
    result = f();
  } catch (err) {
    restore();
    throw err;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

/** Deterministic values in about [-scale, scale]. */
function det(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed * 1.7) * Math.cos(i * 0.11 + seed) * scale), shape);
}

/**
 * Value of `f` and the gradients of Σ f·R (R a fixed random projection) w.r.t. every variable
 * `make` creates, read back as arrays, with the kernels on or off.
 */
function run(on: boolean, make: () => tf.Variable[], f: (vs: tf.Variable[]) => tf.Tensor): Float32Array[] {
  return withKernels(on, () => {
    const vars = make();
    const out = tf.tidy(() => {
      const value = f(vars);
      const r = det(value.shape, 99);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(f(vars), r)) as tf.Scalar, vars);
      return [value, ...vars.map((v) => grads[v.name])];
    });
    const arrays = out.map((t) => t.dataSync() as Float32Array);
    tf.dispose([...out, ...vars]);
    return arrays;
  });
}

function expectClose(a: Float32Array[], b: Float32Array[], tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    expect(x.length).toBe(b[i].length);
    let num = 0, den = 0;
    for (let j = 0; j < x.length; j++) {
      num += (x[j] - b[i][j]) ** 2;
      den += b[i][j] ** 2;
    }
    expect(Math.sqrt(num / Math.max(den, 1e-30)), `output ${i}`).toBeLessThanOrEqual(tol);
  });
}

/** The op with kernels on equals the op with kernels off, value and every gradient. */
function sameBothWays(make: () => tf.Variable[], f: (vs: tf.Variable[]) => tf.Tensor, tol = 1e-5): void {
  expectClose(run(true, make, f), run(false, make, f), tol);
}

const v = (t: tf.Tensor, trainable = true) => tf.variable(t, trainable);

describe.skipIf(!native)('PEFT Lab fused kernels (native backend)', { timeout: 120_000 }, () => {
  it('load on the native CPU backend, and PEFT_LAB_NATIVE_KERNELS=0 turns them off', () => {
    expect(peftKernels()).not.toBeNull();
    expect(computeBackendLabel()).toBe('tensorflow+peft-kernels');
    withKernels(false, () => {
      expect(peftKernels()).toBeNull();
      expect(computeBackendLabel()).toBe('tensorflow');
    });
  });

  it('LayerNorm: value and gradients (x, gain, bias; and with a frozen gain) on odd shapes', () => {
    sameBothWays(() => [v(det([3, 5, 13], 1, 2)), v(det([13], 2).add(1)), v(det([13], 3))], ([x, g, b]) => layerNorm(x, g, b, 1e-5));
    const frozenGain = v(det([33], 6).add(1), false);
    sameBothWays(() => [v(det([7, 33], 4, 3)), v(det([33], 5))], ([x, b]) => layerNorm(x, frozenGain, b, 1e-6));
  });

  it('RMSNorm: value and gradients', () => {
    sameBothWays(() => [v(det([2, 9, 17], 6, 2)), v(det([17], 7).add(1))], ([x, w]) => rmsNorm(x, w, 1e-6));
  });

  it('GELU tanh and erf, with and without the fused bias, and SwiGLU', () => {
    sameBothWays(() => [v(det([5, 37], 8, 4))], ([x]) => geluTanh(x));
    sameBothWays(() => [v(det([5, 37], 9, 4))], ([x]) => geluErf(x));
    for (const act of ['gelu_new', 'gelu']) {
      sameBothWays(() => [v(det([6, 19], 10, 3)), v(det([19], 11))], ([x, b]) => withKernels(true, () => biasActivation(act, x as tf.Tensor2D, b as tf.Tensor1D)) as tf.Tensor);
    }
    sameBothWays(() => [v(det([4, 23], 12, 3)), v(det([4, 23], 13, 2))], ([g, u]) => swiGlu(g, u));
  });

  it('attention: causal + padding masks, grouped-query, the rank-5 GPT-2 layout, a prefix', () => {
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]]);
    const bias = attentionBias(mask, 0, true);
    sameBothWays(() => [v(det([2, 4, 7, 8], 14)), v(det([2, 4, 7, 8], 15)), v(det([2, 4, 7, 8], 16))],
      ([q, k, vv]) => scaledDotProductAttention({ q, k, v: vv, bias, dropout: 0 }));
    sameBothWays(() => [v(det([2, 4, 7, 8], 17)), v(det([2, 2, 7, 8], 18)), v(det([2, 2, 7, 8], 19))],
      ([q, k, vv]) => scaledDotProductAttention({ q, k, v: vv, bias, dropout: 0 }));
    sameBothWays(() => [v(det([1, 2, 3, 7, 5], 20)), v(det([1, 2, 3, 7, 5], 21)), v(det([1, 2, 3, 7, 5], 22))],
      ([q, k, vv]) => scaledDotProductAttention({ q, k, v: vv, bias: attentionBias(mask, 0, false), dropout: 0 }));
    // Longer than one 32-column block, with a 10-key prefix (prefix tuning): keys ≠ queries.
    const long = tf.tensor2d([Array(37).fill(1), [...Array(30).fill(1), ...Array(7).fill(0)]]);
    sameBothWays(() => [v(det([2, 3, 37, 16], 23)), v(det([2, 3, 47, 16], 24)), v(det([2, 3, 47, 16], 25))],
      ([q, k, vv]) => scaledDotProductAttention({ q, k, v: vv, bias: attentionBias(long, 10, true), dropout: 0 }));

  });

  it('attention on the packed QKV projection: equals the head split + attention, with and without dropout', () => {
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0]]);
    const bias = attentionBias(mask, 0, true);
    for (const [heads, dim] of [[3, 5], [2, 16]]) {
      const make = () => [v(det([14, 3 * heads * dim], 40 + dim))];
      sameBothWays(make, ([qkv]) => fusedQkvAttention(qkv as tf.Tensor2D, 2, 7, heads, dim, bias, 0));
      withKernels(true, () => {
        const k = peftKernels()!;
        const packed = (vs: tf.Variable[]) => withSeededMathRandom(5, () => fusedAttentionQkv(k, vs[0] as tf.Tensor2D, bias, heads, 0.3, 0.2));
        const split = (vs: tf.Variable[]) => withSeededMathRandom(5, () => {
          const [q, kk, vv] = splitFusedQkv(vs[0] as tf.Tensor2D, 2, 7, heads, dim);
          return fusedAttention(k, q, kk, vv, bias, 0.3, 0.2);
        });
        expectClose(run(true, make, packed), run(true, make, split), 1e-5);
      });
    }
  });

  it('dropout: the gradient sees the forward mask, about rate·n dropped, repeatable under a seeded Math.random', () => {
    withKernels(true, () => {
      const k = peftKernels()!;
      const x = tf.variable(tf.add(det([200, 501], 30), 2));
      const r = det([200, 501], 31);
      const draw = () => withSeededMathRandom(7, () => tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(fusedDropout(k, x, 0.1), r)) as tf.Scalar, [x]);
        return [value, grads[x.name]];
      }));
      const [, g1] = draw();
      const [, g2] = draw();
      const kept = tf.tidy(() => tf.notEqual(g1, 0).toFloat().mean().dataSync()[0]);
      expect(kept).toBeGreaterThan(0.89);
      expect(kept).toBeLessThan(0.91);
      // kept entries are scaled by 1/(1 − rate) in the gradient as in the value
      const ratio = tf.tidy(() => tf.div(g1, tf.add(r, 1e-30)).max().dataSync()[0]);
      expect(ratio).toBeCloseTo(1 / 0.9, 4);
      expect(g1.dataSync()).toEqual(g2.dataSync());
      tf.dispose([g1, g2, x, r]);
    });
  });

  it('attention dropout inside the fused kernel equals softmax, the dropout op with the same seed, then ·V', () => {
    withKernels(true, () => {
      const k = peftKernels()!;
      const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 0, 0, 0]]);
      const bias = attentionBias(mask, 0, true);
      const make = () => [v(det([2, 3, 9, 8], 32)), v(det([2, 3, 9, 8], 33)), v(det([2, 3, 9, 8], 34))];
      const scale = 1 / Math.sqrt(8);
      const fused = (vs: tf.Variable[]) => withSeededMathRandom(11, () => fusedAttention(k, vs[0], vs[1], vs[2], bias, scale, 0.25));
      const reference = (vs: tf.Variable[]) => withSeededMathRandom(11, () => {
        const p = tf.softmax(tf.add(tf.mul(tf.matMul(vs[0], vs[1], false, true), scale), bias));
        const out = tf.matMul(fusedDropout(k, p, 0.25), vs[2]); // [2, 3, 9, 8] → merged heads
        return tf.transpose(out, [0, 2, 1, 3]).reshape([18, 24]);
      });
      expectClose(run(true, make, fused), run(true, make, reference), 1e-5);
    });
  });

  it('the fused LM head + cross-entropy equals logits then cross-entropy, in one chunk or many, both layouts', () => {
    const labels = tf.tensor1d([3, -100, 0, 10, 7, 7, -100, 1, 2], 'int32');
    const plain = ([h, w]: tf.Variable[], vocabMajor: boolean) => {
      const logits = (vocabMajor ? tf.matMul(h, w, false, true) : tf.matMul(h, w)) as tf.Tensor2D;
      return maskedCrossEntropySum(logits, labels).sum;
    };
    for (const vocabMajor of [true, false]) {
      const make = () => [v(det([9, 6], 23)), v(det(vocabMajor ? [11, 6] : [6, 11], 24))];
      for (const chunkElements of [1 << 20, 22, 11]) {
        const fused = (vs: tf.Variable[]) => lmHeadCrossEntropySum(vs[0] as tf.Tensor2D, { weight: vs[1] as tf.Tensor2D, vocabMajor }, labels, { chunkElements }).sum;
        for (const on of [true, false]) expectClose(run(on, make, fused), run(false, make, (vs) => plain(vs, vocabMajor)), 1e-5);
      }
    }
    // A frozen head: only the hidden states get a gradient.
    const frozen = () => [v(det([9, 6], 25))];
    const w = tf.variable(det([11, 6], 26), false) as tf.Variable<tf.Rank.R2>;
    expectClose(
      run(true, frozen, ([h]) => lmHeadCrossEntropySum(h as tf.Tensor2D, { weight: w, vocabMajor: true }, labels, { chunkElements: 33 }).sum),
      run(false, frozen, ([h]) => maskedCrossEntropySum(tf.matMul(h, w, false, true) as tf.Tensor2D, labels).sum),
    );
  });

  it('multi-tensor AdamW: parameters and moments equal the flat tfjs update, and moments round-trip', async () => {
    const steps = async (on: boolean) => withKernels(on, async () => {
      const params = new Map<string, tf.Variable>([['w', v(det([5, 7], 27))], ['b', v(det([7], 28))], ['e', v(det([3, 2, 4], 29))]]);
      const opt = new AdamW(params, { weightDecay: 0.1 });
      for (let s = 0; s < 3; s++) {
        const grads = new Map<string, tf.Tensor>([['w', det([5, 7], 30 + s)], ['e', det([3, 2, 4], 40 + s, 5)]]); // 'b' missing: zero
        const flat = opt.flattenGradients(grads);
        opt.applyFlat(flat, 1e-2 * (s + 1), 0.5);
        flat.dispose();
        tf.dispose([...grads.values()]);
      }
      const { m, v: vv } = await opt.moments();
      const out = [...params.values()].map((p) => p.dataSync() as Float32Array);
      const moments = [...m.values(), ...vv.values()].map((a) => Float32Array.from(a.data));
      opt.restoreMoments(m, vv);
      const again = await opt.moments();
      expectClose([...again.m.values(), ...again.v.values()].map((a) => Float32Array.from(a.data)), moments, 0);
      opt.dispose();
      tf.dispose([...params.values()]);
      return [...out, ...moments];
    });
    expectClose(await steps(true), await steps(false), 1e-6);
  });

  it('trains GPT-2 (full, LoRA) and Llama to the same losses and weights with the kernels on and off', async () => {
    const configs = {
      gpt2: { model_type: 'gpt2', vocab_size: 53, n_positions: 32, n_embd: 24, n_layer: 2, n_head: 3, activation_function: 'gelu_new', resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 },
      llama: { model_type: 'llama', vocab_size: 53, hidden_size: 24, intermediate_size: 40, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32, tie_word_embeddings: false },
    };
    const data = Array.from({ length: 12 }, (_, i) => ({ inputIds: Array.from({ length: 5 + (i % 6) }, (_, t) => (i * 7 + t * 5) % 53) }));
    const train = (family: keyof typeof configs, method: 'full' | 'lora') => async (on: boolean) => withKernels(on, async () => {
      const model = createModel(normalizeHfConfig(configs[family]), 'causal-lm', 3);
      const attachment = attachPeft(model, method, method === 'lora' ? { r: 4, alpha: 8, targetModules: family === 'gpt2' ? ['c_attn'] : ['q_proj', 'v_proj'] } : {});
      model.hooks = attachment.hooks;
      const r = await trainTrial({ model, attachment, task: 'causal-lm', metric: 'perplexity', trainData: data, lr: 3e-3, batchSize: 4, maxSteps: 6, seed: 5, weightDecay: 0.01, gradClip: 1, latency: false });
      // The key third of GPT-2's c_attn bias has an exactly-zero gradient (softmax is shift-invariant):
      // Adam turns its float noise into ±lr steps on either path, so it is left out of the comparison.
      const weights = [...attachment.trainable].map(([name, t]) => {
        const a = t.dataSync() as Float32Array;
        if (!name.endsWith('c_attn.bias')) return a;
        const d = a.length / 3;
        return Float32Array.from([...a.subarray(0, d), ...a.subarray(2 * d)]);
      });
      attachment.dispose();
      model.dispose();
      return { losses: Float32Array.from(r.losses), weights, backend: r.measurements.backend };
    });
    for (const [family, method] of [['gpt2', 'full'], ['gpt2', 'lora'], ['llama', 'full']] as const) {
      const on = await train(family, method)(true);
      const off = await train(family, method)(false);
      expect(on.backend).toBe('tensorflow+peft-kernels');
      expect(off.backend).toBe('tensorflow');
      expect(on.losses[5]).toBeLessThan(on.losses[0]);
      expectClose([on.losses], [off.losses], 1e-5);
      expectClose(on.weights, off.weights, 1e-4);
    }
  });

  it('trains the Llama- and BERT-shaped families (q/k/v biases, q/k norms, (1 + w) RMSNorm + GeGLU, fused Phi-3 with partial rotary, a sliding window, RoBERTa, DistilBERT) alike with the kernels on and off', async () => {
    const decoder = { vocab_size: 53, hidden_size: 32, intermediate_size: 40, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32, attention_dropout: 0 };
    const encoder = { vocab_size: 53, hidden_size: 24, intermediate_size: 40, num_hidden_layers: 2, num_attention_heads: 4, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
    const configs: [Record<string, unknown>, 'causal-lm' | 'sequence-classification'][] = [
      [{ ...decoder, model_type: 'qwen2', tie_word_embeddings: true }, 'causal-lm'],
      [{ ...decoder, model_type: 'qwen3', head_dim: 8 }, 'causal-lm'],
      [{ ...decoder, model_type: 'gemma', head_dim: 8, num_key_value_heads: 1, hidden_act: 'gelu_pytorch_tanh' }, 'causal-lm'],
      [{ ...decoder, model_type: 'phi3', rope_parameters: { rope_theta: 10000, rope_type: 'default', partial_rotary_factor: 0.5 }, resid_pdrop: 0, embd_pdrop: 0 }, 'causal-lm'],
      [{ ...decoder, model_type: 'mistral', sliding_window: 4 }, 'causal-lm'],
      [{ ...encoder, model_type: 'roberta', max_position_embeddings: 34, num_labels: 3 }, 'sequence-classification'],
      [{ ...encoder, model_type: 'distilbert', dim: 24, hidden_dim: 40, n_layers: 2, n_heads: 4, max_position_embeddings: 32, dropout: 0, attention_dropout: 0, seq_classif_dropout: 0, num_labels: 3 }, 'sequence-classification'],
    ];
    const data = Array.from({ length: 12 }, (_, i) => ({ inputIds: Array.from({ length: 5 + (i % 6) }, (_, t) => 3 + ((i * 7 + t * 5) % 50)), label: i % 3 }));
    for (const [raw, task] of configs) {
      const train = (on: boolean) => withKernels(on, async () => {
        const model = createModel(normalizeHfConfig(raw), task, 3);
        const attachment = attachPeft(model, 'full', {});
        const r = await trainTrial({ model, attachment, task, metric: task === 'causal-lm' ? 'perplexity' : 'accuracy', trainData: data, lr: 3e-3, batchSize: 4, maxSteps: 6, seed: 5, weightDecay: 0.01, gradClip: 1, latency: false });
        const weights = [...attachment.trainable.values()].map((t) => t.dataSync() as Float32Array);
        attachment.dispose();
        model.dispose();
        return { losses: Float32Array.from(r.losses), weights, backend: r.measurements.backend };
      });
      const on = await train(true);
      const off = await train(false);
      expect(on.backend, String(raw.model_type)).toBe('tensorflow+peft-kernels');
      expect(on.losses[5], String(raw.model_type)).toBeLessThan(on.losses[0]);
      expectClose([on.losses], [off.losses], 1e-5);
      expectClose(on.weights, off.weights, 1e-4);
    }
  });

  it('the in-place AdamW moves only the trainable copy: LoRA\'s saved head leaves the frozen head bit-identical', async () => {
    await withKernels(true, async () => {
      const config = normalizeHfConfig({ model_type: 'gpt2', vocab_size: 31, n_positions: 16, n_embd: 16, n_layer: 1, n_head: 2, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
      const model = createModel({ ...config, numLabels: 3 }, 'sequence-classification', 4);
      const attachment = attachPeft(model, 'lora', { r: 2, alpha: 4, targetModules: ['c_attn'] });
      model.hooks = attachment.hooks;
      const headKey = [...attachment.trainable.keys()].find((k) => k.includes('score'))!;
      expect(headKey).toBeDefined();
      const frozenBefore = Float32Array.from(model.weights.get('score.weight')!.dataSync());
      const copyBefore = Float32Array.from(attachment.trainable.get(headKey)!.dataSync());
      const data = Array.from({ length: 8 }, (_, i) => ({ inputIds: [1 + i, 2 + i, 3], label: i % 3 }));
      await trainTrial({ model, attachment, task: 'sequence-classification', metric: 'accuracy', trainData: data, lr: 1e-2, batchSize: 4, maxSteps: 3, seed: 1, latency: false });
      expect(Float32Array.from(model.weights.get('score.weight')!.dataSync())).toEqual(frozenBefore);
      expect(Float32Array.from(attachment.trainable.get(headKey)!.dataSync())).not.toEqual(copyBefore);
      attachment.dispose();
      model.dispose();
    });
  });

  it('LoRA on attention keeps the MLP\'s fused bias + GELU and an untied LM head\'s fused loss; merged LoRA fuses like the base', async () => {
    await withKernels(true, async () => {
      const gpt2 = createModel(normalizeHfConfig({ model_type: 'gpt2', vocab_size: 31, n_positions: 16, n_embd: 16, n_layer: 1, n_head: 2 }), 'causal-lm', 1);
      const lora = attachPeft(gpt2, 'lora', { r: 2, alpha: 4, targetModules: ['c_attn'] });
      gpt2.hooks = lora.hooks;
      const inputs = { inputIds: tf.tensor2d([[1, 2, 3, 4]], undefined, 'int32'), attentionMask: tf.ones([1, 4]) as tf.Tensor2D };
      const kernelsOf = async () => (await tf.profile(() => gpt2.forward(inputs, { training: false }))).kernelNames;
      expect(await kernelsOf()).toContain('PeftLabBiasGelu');
      const llama = createModel(normalizeHfConfig({ model_type: 'llama', vocab_size: 31, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 16, tie_word_embeddings: false }), 'causal-lm', 1);
      const loraLlama = attachPeft(llama, 'lora', { r: 2, alpha: 4, targetModules: ['q_proj', 'v_proj'] });
      llama.hooks = loraLlama.hooks;
      const fused = llama.forwardHidden!(inputs, { training: true });
      expect(fused).not.toBeNull();
      tf.dispose(fused!.hidden);
      [lora, loraLlama].forEach((a) => a.dispose());
      gpt2.dispose();
      llama.dispose();
    });
  });

  it('a shape mismatch reaches JavaScript as an error naming the op', () => {
    withKernels(true, () => {
      const k = peftKernels()!;
      expect(() => k.run('PeftLabLayerNorm', [tf.zeros([2, 4]), tf.ones([3]), tf.zeros([3])], { eps: 1e-5 })).toThrow(/PeftLabLayerNorm/);
      expect(() => k.run('PeftLabCrossEntropyWithGrad', [tf.zeros([2, 4]), tf.tensor1d([1, 9], 'int32')], { ignore_index: -100 })).toThrow(/outside/);
    });
  });
});
