// DoRA (LoRA with useDora) without Python: the peft-written qwen2-tiny-dora fixture imports and
// gives its expected logits (alone, right-padded, merged), merged = unmerged within 1e-5 and
// unmerge restores the base bit for bit, a fresh adapter starts at m = ‖W‖ and leaves the model
// unchanged, the trainable count Σ r·(in + out) + Σ out, save → load with use_dora and peft's
// lora_magnitude_vector keys, trainTrial (with and without dropout) moves A, B and m and no base
// weight, the weight norm is detached (its gradient is zero), checkpointing gives the plain losses.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../errors.js';
import { loadHfModel } from '../../hf/model-io.js';
import { batchLogits, FIXTURES, maxAbsError, readExpected, relativeError, useTestBackend } from '../../models/test-helpers.js';
import { changedWeights, snapshotWeights } from '../../train/frozen-weights.js';
import type { TokenExample } from '../../train/collate.js';
import { trainTrial } from '../../train/train-trial.js';
import type { HeadKind } from '../../types.js';
import { attachPeft, setActiveAdapter } from '../base.js';
import { doraLinear, doraWeightNorm } from './dora.js';
import { loadLoraAdapter, loraParamCount, saveLoraAdapter, type LoraAttachment } from './index.js';
import { perturb } from './lora-test-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'dora-test-'));
beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const qwen2 = (head: HeadKind = 'causal-lm') => loadHfModel(join(FIXTURES, head === 'causal-lm' ? 'qwen2-tiny' : 'qwen2-tiny-cls')).model;
const size = (m: Map<string, tf.Variable>) => [...m.values()].reduce((n, v) => n + v.size, 0);
const ids = readExpected('qwen2-tiny').cases.map((c) => c.input_ids);

describe('DoRA: the peft-written qwen2-tiny-dora adapter', () => {
  const e = readExpected('qwen2-tiny-dora');
  it('imports (r 4 on q_proj, v_proj with magnitudes) and reproduces its expected logits within 1e-4, alone and right-padded', () => {
    const model = qwen2();
    try {
      const lora = loadLoraAdapter(model, join(FIXTURES, 'qwen2-tiny-dora'));
      expect(lora.config.useDora).toBe(true);
      expect(lora.modules.size).toBe(2 * 2);
      expect(lora.modules.get('model.layers.0.self_attn.q_proj')!.magnitude!.shape).toEqual([64]);
      expect(lora.modules.get('model.layers.0.self_attn.v_proj')!.magnitude!.shape).toEqual([32]);
      e.cases.forEach((c) => expect(relativeError(batchLogits(model, [c.input_ids])[0], c.logits.flat() as number[])).toBeLessThan(1e-4));
      batchLogits(model, e.cases.map((c) => c.input_ids)).forEach((got, i) => expect(relativeError(got, e.cases[i].logits.flat() as number[])).toBeLessThan(1e-4));
      setActiveAdapter(model, null);
      expect(relativeError(batchLogits(model, [e.cases[0].input_ids])[0], e.cases[0].logits.flat() as number[])).toBeGreaterThan(1e-2);
      // The magnitudes matter: the same A and B as plain LoRA give other logits.
      const plain = loadHfModel(join(FIXTURES, 'qwen2-tiny')).model;
      try {
        const asLora = attachPeft(plain, 'lora', { r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'] }) as LoraAttachment;
        for (const [k, v] of asLora.trainable) v.assign(lora.trainable.get(k)!);
        expect(relativeError(batchLogits(plain, [e.cases[0].input_ids])[0], e.cases[0].logits.flat() as number[])).toBeGreaterThan(1e-3);
      } finally {
        plain.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  it('merged equals unmerged within 1e-5 (and the expected logits within 1e-4); unmerge restores every base weight bit for bit', () => {
    const model = qwen2();
    try {
      const base = snapshotWeights(model.weights);
      const originals = new Map(model.weights);
      const lora = loadLoraAdapter(model, join(FIXTURES, 'qwen2-tiny-dora'));
      const unmerged = batchLogits(model, ids);
      lora.merge();
      batchLogits(model, ids).forEach((got, i) => expect(relativeError(got, unmerged[i])).toBeLessThan(1e-5));
      model.hooks = null;
      batchLogits(model, ids).forEach((got, i) => expect(relativeError(got, unmerged[i])).toBeLessThan(1e-5));
      e.cases.forEach((c) => expect(relativeError(batchLogits(model, [c.input_ids])[0], c.logits.flat() as number[])).toBeLessThan(1e-4));
      model.hooks = lora.hooks;
      lora.unmerge();
      expect(changedWeights(model.weights, base)).toEqual([]);
      for (const [k, v] of model.weights) expect(v, k).toBe(originals.get(k));
    } finally {
      model.dispose();
    }
  });
});

describe('DoRA init, count, save and load', () => {
  it('a fresh adapter starts at m = ‖W‖ per output unit (B = 0) and leaves the logits unchanged', () => {
    const model = qwen2();
    try {
      const before = batchLogits(model, ids);
      const lora = attachPeft(model, 'lora', { r: 4, useDora: true }) as LoraAttachment;
      const m = lora.modules.get('model.layers.1.self_attn.v_proj')!;
      const w = model.weights.get('model.layers.1.self_attn.v_proj.weight')!; // [in, out]
      const norms = tf.tidy(() => tf.norm(w, 'euclidean', 0).dataSync());
      expect(maxAbsError(m.magnitude!.dataSync(), norms)).toBeLessThan(1e-6);
      batchLogits(model, ids).forEach((got, i) => expect(relativeError(got, before[i])).toBeLessThan(1e-6));
    } finally {
      model.dispose();
    }
  });

  const counts: [string, HeadKind, string[], number][] = [
    // qwen2-tiny: q out 64, k/v out 32, d 64, ffn 128
    ['qwen2-tiny', 'causal-lm', ['q_proj', 'v_proj'], 2 * (4 * (64 + 64) + 64 + 4 * (64 + 32) + 32)],
    ['qwen2-tiny', 'causal-lm', ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], 2 * (4 * (128 + 96 + 96 + 128 + 192 + 192 + 192) + 64 + 32 + 32 + 64 + 128 + 128 + 64)],
    // gpt2-tiny: c_attn [64, 192]
    ['gpt2-tiny', 'causal-lm', ['c_attn'], 2 * (4 * (64 + 192) + 192)],
  ];
  for (const [fixture, head, targets, want] of counts) {
    it(`trainable count Σ r·(in + out) + Σ out: ${fixture} ${targets.join(', ')}`, () => {
      const { model } = loadHfModel(join(FIXTURES, fixture), { head });
      try {
        const lora = attachPeft(model, 'lora', { r: 4, useDora: true, targetModules: targets });
        expect(size(lora.trainable)).toBe(want);
        expect(loraParamCount(model, 4, targets, true)).toBe(want);
        expect(loraParamCount(model, 4, targets, true) - loraParamCount(model, 4, targets)).toBe([...(lora as LoraAttachment).modules.values()].reduce((n, m) => n + m.outFeatures, 0));
      } finally {
        model.dispose();
      }
    });
  }

  it('save → load round trip keeps the logits; use_dora and lora_magnitude_vector as peft writes them; a file without magnitudes is refused', () => {
    const model = qwen2();
    const other = qwen2();
    const third = qwen2();
    try {
      const lora = attachPeft(model, 'lora', { r: 4, alpha: 8, useDora: true }) as LoraAttachment;
      perturb(lora, 3);
      for (const m of lora.modules.values()) m.magnitude!.assign(tf.tidy(() => tf.mul(m.magnitude!, tf.randomUniform(m.magnitude!.shape, 0.8, 1.2, 'float32', 5))));
      const dir = join(tmp, 'roundtrip');
      saveLoraAdapter(lora, dir);
      const json = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
      expect(json).toMatchObject({ peft_type: 'LORA', use_dora: true, r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] });
      const keys = [...lora.adapterTensors().keys()];
      expect(keys.filter((k) => k.endsWith('.lora_magnitude_vector')).sort()).toEqual(
        [0, 1].flatMap((l) => ['q_proj', 'v_proj'].map((p) => `base_model.model.model.layers.${l}.self_attn.${p}.lora_magnitude_vector`)).sort(),
      );
      expect(lora.storedBytes()).toBe(readFileSync(join(dir, 'adapter_model.safetensors')).length + readFileSync(join(dir, 'adapter_config.json')).length);
      const loaded = loadLoraAdapter(other, dir);
      expect(loaded.config.useDora).toBe(true);
      const a = batchLogits(model, ids);
      batchLogits(other, ids).forEach((got, i) => expect(maxAbsError(got, a[i])).toBe(0));

      // Plain LoRA files with use_dora set: no magnitudes to read.
      const plain = attachPeft(third, 'lora', { r: 4, alpha: 8 }, 'plain') as LoraAttachment;
      const plainDir = join(tmp, 'plain');
      saveLoraAdapter(plain, plainDir);
      const cfg = JSON.parse(readFileSync(join(plainDir, 'adapter_config.json'), 'utf8'));
      expect(cfg.use_dora).toBe(false);
      writeFileSync(join(plainDir, 'adapter_config.json'), JSON.stringify({ ...cfg, use_dora: true }));
      expect(() => loadLoraAdapter(third, plainDir, 'dora')).toThrow(CheckpointFormatError);
      expect(() => loadLoraAdapter(third, plainDir, 'dora2')).toThrow(/use_dora is set but there is no lora_magnitude_vector for targeted module model\.layers\.0\.self_attn\.q_proj/);
    } finally {
      model.dispose();
      other.dispose();
      third.dispose();
    }
  });
});

describe('DoRA gradients', () => {
  it('the weight norm is detached as in peft: A, B and m get the gradients of the formula with a constant norm', () => {
    tf.tidy(() => {
      const w = tf.randomNormal([6, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
      const a = tf.variable(tf.randomNormal([2, 6], 0, 1, 'float32', 2));
      const b = tf.variable(tf.randomNormal([5, 2], 0, 1, 'float32', 3));
      const m = tf.variable(tf.randomUniform([5], 0.5, 1.5, 'float32', 5));
      const x = tf.randomNormal([3, 6], 0, 1, 'float32', 4) as tf.Tensor2D;
      const bias = tf.randomNormal([5], 0, 1, 'float32', 6) as tf.Tensor1D;
      const probe = tf.randomNormal([3, 5], 0, 1, 'float32', 7);
      const y = tf.add(tf.matMul(x, w), bias) as tf.Tensor2D;
      // The norm alone is not connected to A or B.
      expect(() => tf.variableGrads(() => tf.sum(doraWeightNorm(w, a as tf.Tensor2D, b as tf.Tensor2D, 0.5)) as tf.Scalar, [a, b])).toThrow(/Cannot find a connection/);
      const ours = tf.variableGrads(() => tf.sum(tf.mul(probe, doraLinear({ x, y, bias, weight: w, loraA: a as tf.Tensor2D, loraB: b as tf.Tensor2D, magnitude: m as tf.Tensor1D, scaling: 0.5 }))) as tf.Scalar, [a, b, m]).grads;
      const reference = (norm: () => tf.Tensor) => tf.variableGrads(() => {
        const lora = tf.mul(tf.matMul(tf.matMul(x, a, false, true), b, false, true), 0.5);
        return tf.sum(tf.mul(probe, tf.add(bias, tf.mul(tf.div(m, norm()), tf.add(tf.sub(y, bias), lora))))) as tf.Scalar;
      }, [a, b, m]).grads;
      const constant = tf.norm(tf.add(w, tf.mul(tf.matMul(a, b, true, true), 0.5)), 'euclidean', 0).dataSync();
      const detachedRef = reference(() => tf.tensor1d(constant));
      for (const v of [a, b, m]) expect(maxAbsError(ours[v.name].dataSync(), detachedRef[v.name].dataSync()), v.name).toBeLessThan(1e-5);
      // Not vacuous: with the norm in the graph, A's gradient differs.
      const attached = reference(() => tf.norm(tf.add(w, tf.mul(tf.matMul(a, b, true, true), 0.5)), 'euclidean', 0));
      expect(maxAbsError(ours[a.name].dataSync(), attached[a.name].dataSync())).toBeGreaterThan(1e-3);
    });
  });
});

function data(head: HeadKind, vocab: number): TokenExample[] {
  return Array.from({ length: 8 }, (_, i) => ({
    inputIds: Array.from({ length: 5 + (i % 3) }, (_, t) => 5 + ((i * 7 + t * 3) % (vocab - 5))),
    ...(head === 'causal-lm' ? {} : { label: i % 3 }),
  }));
}

describe('DoRA training', { timeout: 60_000 }, () => {
  for (const [fixture, head, config] of [
    ['qwen2-tiny', 'causal-lm', { r: 4, useDora: true }],
    ['qwen2-tiny', 'causal-lm', { r: 4, useDora: true, dropout: 0.1, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'down_proj'] }],
    ['gpt2-tiny', 'causal-lm', { r: 4, useDora: true, targetModules: ['c_attn', 'mlp.c_proj'] }],
    ['bert-tiny-cls', 'sequence-classification', { r: 4, useDora: true }],
  ] as [string, HeadKind, Record<string, unknown>][]) {
    it(`${fixture} ${JSON.stringify(config)}: trainTrial moves A, B and every magnitude; every base weight stays bit-identical`, async () => {
      const { model } = loadHfModel(join(FIXTURES, fixture), { head });
      try {
        const lora = attachPeft(model, 'lora', config) as LoraAttachment;
        const base = snapshotWeights(model.weights);
        const own = snapshotWeights(lora.trainable);
        const r = await trainTrial({
          model, attachment: lora, task: head, metric: head === 'causal-lm' ? 'perplexity' : 'accuracy',
          trainData: data(head, model.config.vocabSize), lr: 1e-2, batchSize: 4, maxSteps: 3, seed: 1, latency: false,
          padTokenId: (model.config.extra.padTokenId as number | undefined) ?? 0,
        });
        expect(r.status, r.reason).toBe('completed');
        for (const l of r.losses) expect(Number.isFinite(l)).toBe(true);
        expect(changedWeights(model.weights, base)).toEqual([]);
        expect(changedWeights(lora.trainable, own).sort()).toEqual([...lora.trainable.keys()].sort());
        lora.dispose();
      } finally {
        model.dispose();
      }
    });
  }

  it('qwen2-tiny-cls with gradient checkpointing: the plain run\'s losses', async () => {
    const run = async (gradientCheckpointing: boolean) => {
      const model = qwen2('sequence-classification');
      try {
        const lora = attachPeft(model, 'lora', { r: 4, useDora: true });
        const r = await trainTrial({
          model, attachment: lora, task: 'sequence-classification', metric: 'accuracy', trainData: data('sequence-classification', model.config.vocabSize),
          lr: 1e-2, batchSize: 4, maxSteps: 3, seed: 1, latency: false, gradientCheckpointing,
        });
        return r.losses;
      } finally {
        model.dispose();
      }
    };
    const plain = await run(false);
    const checkpointed = await run(true);
    checkpointed.forEach((l, i) => expect(Math.abs(l - plain[i])).toBeLessThan(1e-4 * Math.abs(plain[i])));
  });
});
