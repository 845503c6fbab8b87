import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeftConfigError } from '../../errors.js';
import { loadHfModel } from '../../hf/model-io.js';
import { batchLogits, FIXTURES, maxAbsError, readExpected, relativeError, useTestBackend } from '../../models/test-helpers.js';
import type { TransformerModel } from '../../types.js';
import { attachPeft, setActiveAdapter } from '../base.js';
import { createLoraAttachment, loadLoraAdapter, loraParamCount, saveLoraAdapter, type LoraAttachment } from './index.js';
import { perturb } from './lora-test-helpers.js';

const merged = readExpected('gpt2-tiny-lora-merged');
const ids = merged.cases.map((c) => c.input_ids);
const tmp = mkdtempSync(join(tmpdir(), 'lora-test-'));

beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function gpt2(): TransformerModel {
  return loadHfModel(join(FIXTURES, 'gpt2-tiny')).model;
}


describe('LoRA on GPT-2', () => {
  it('the peft fixture adapter reproduces the merged reference logits', () => {
    const model = gpt2();
    try {
      loadLoraAdapter(model, join(FIXTURES, 'gpt2-tiny-lora'));
      batchLogits(model, ids).forEach((got, i) => expect(relativeError(got, merged.cases[i].logits.flat() as number[])).toBeLessThan(1e-4));
    } finally {
      model.dispose();
    }
  });

  it('a fresh adapter leaves the model unchanged (B = 0) and A is kaiming-uniform bounded', () => {
    const model = gpt2();
    try {
      const before = batchLogits(model, ids);
      const lora = attachPeft(model, 'lora', { r: 4, alpha: 8, targetModules: ['c_attn', 'c_fc'] }) as LoraAttachment;
      batchLogits(model, ids).forEach((got, i) => expect(maxAbsError(got, before[i])).toBe(0));
      const a = lora.modules.get('transformer.h.0.attn.c_attn')!.loraA;
      const bound = 1 / Math.sqrt(64);
      const values = a.dataSync();
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(bound * 0.8);
    } finally {
      model.dispose();
    }
  });

  it('merge gives the unmerged logits; unmerge restores the base weights bit for bit', () => {
    const model = gpt2();
    try {
      const base = model.weights.get('transformer.h.1.attn.c_attn.weight')!.dataSync().slice();
      const lora = loadLoraAdapter(model, join(FIXTURES, 'gpt2-tiny-lora'));
      const unmerged = batchLogits(model, ids);
      lora.merge();
      expect(lora.merged).toBe(true);
      const after = batchLogits(model, ids);
      after.forEach((got, i) => expect(maxAbsError(got, unmerged[i])).toBeLessThan(1e-5));
      model.hooks = null; // the merged base alone must carry the adapter
      batchLogits(model, ids).forEach((got, i) => expect(maxAbsError(got, unmerged[i])).toBeLessThan(1e-5));
      model.hooks = lora.hooks;
      lora.unmerge();
      expect(model.weights.get('transformer.h.1.attn.c_attn.weight')!.dataSync()).toEqual(base);
    } finally {
      model.dispose();
    }
  });

  it('save → load round trip keeps the logits and writes a peft adapter_config.json', () => {
    const model = gpt2();
    const other = gpt2();
    try {
      const lora = attachPeft(model, 'lora', { r: 2, alpha: 16, useRslora: true, targetModules: ['c_attn', 'mlp.c_proj'], baseModelNameOrPath: 'gpt2-tiny' }) as LoraAttachment;
      perturb(lora, 1);
      const dir = join(tmp, 'roundtrip');
      saveLoraAdapter(lora, dir);
      const json = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
      expect(json).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 16, use_rslora: true, fan_in_fan_out: true, task_type: 'CAUSAL_LM', base_model_name_or_path: 'gpt2-tiny', target_modules: ['c_attn', 'mlp.c_proj'] });
      expect(lora.storedBytes()).toBe(readFileSync(join(dir, 'adapter_model.safetensors')).length + readFileSync(join(dir, 'adapter_config.json')).length);
      const loaded = loadLoraAdapter(other, dir);
      expect(loaded.scaling).toBeCloseTo(16 / Math.sqrt(2));
      const a = batchLogits(model, ids);
      batchLogits(other, ids).forEach((got, i) => expect(maxAbsError(got, a[i])).toBeLessThan(1e-6));
    } finally {
      model.dispose();
      other.dispose();
    }
  });

  it('several adapters by name: switching equals loading each alone', () => {
    const model = gpt2();
    const alone = gpt2();
    try {
      const second = attachPeft(model, 'lora', { r: 3, targetModules: ['c_proj'] }, 'second') as LoraAttachment;
      perturb(second, 7);
      saveLoraAdapter(second, join(tmp, 'second'));
      loadLoraAdapter(model, join(FIXTURES, 'gpt2-tiny-lora'), 'fixture');
      batchLogits(model, ids).forEach((got, i) => expect(relativeError(got, merged.cases[i].logits.flat() as number[])).toBeLessThan(1e-4));
      setActiveAdapter(model, 'second');
      loadLoraAdapter(alone, join(tmp, 'second'));
      const want = batchLogits(alone, ids);
      batchLogits(model, ids).forEach((got, i) => expect(maxAbsError(got, want[i])).toBe(0));
      expect(() => setActiveAdapter(model, 'nope')).toThrow(/nope.*second, fixture|nope.*fixture, second/);
    } finally {
      model.dispose();
      alone.dispose();
    }
  });

  it('gradient steps move only the LoRA variables; base weights stay bit-identical', () => {
    const model = gpt2();
    try {
      const lora = attachPeft(model, 'lora', { r: 4, targetModules: ['c_attn', 'c_fc'], dropout: 0.1 });
      const base = new Map([...model.weights].map(([k, v]) => [k, v.dataSync().slice()]));
      const loraBefore = new Map([...lora.trainable].map(([k, v]) => [k, v.dataSync().slice()]));
      const opt = tf.train.adam(0.01);
      const inputIds = tf.tensor2d([ids[0].slice(0, 16), ids[1].slice(0, 16)], undefined, 'int32');
      const attentionMask = tf.onesLike(inputIds);
      for (let step = 0; step < 3; step++) {
        tf.tidy(() => {
          opt.minimize(() => {
            const logits = model.forward({ inputIds, attentionMask }, { training: true });
            const labels = tf.oneHot(inputIds.reshape([-1]), 400);
            return tf.losses.softmaxCrossEntropy(labels, logits.reshape([-1, 400]));
          }, false, [...lora.trainable.values()]);
        });
      }
      tf.dispose([inputIds, attentionMask]);
      opt.dispose();
      for (const [k, v] of model.weights) expect(Buffer.from(v.dataSync().buffer).equals(Buffer.from(base.get(k)!.buffer)), k).toBe(true);
      for (const [k, v] of lora.trainable) expect(maxAbsError(v.dataSync(), loraBefore.get(k)!), k).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  });

  it('a target matching nothing names it and lists the supported modules', () => {
    const model = gpt2();
    try {
      expect(() => createLoraAttachment(model, { targetModules: ['q_proj'] })).toThrow(PeftConfigError);
      expect(() => createLoraAttachment(model, { targetModules: ['q_proj'] })).toThrow(/"q_proj".*supported: c_attn, c_proj, c_fc/);
      expect(() => createLoraAttachment(model, { r: 0 })).toThrow(/r/);
      expect(() => createLoraAttachment(model, { r: 2.5 })).toThrow(/r/);
    } finally {
      model.dispose();
    }
  });
});

describe('LoRA on Qwen2: the peft-written qwen2-tiny-lora-all adapter', () => {
  it('imports (r 4 on all seven projections) and reproduces its expected logits within 1e-4, alone and right-padded', () => {
    const e = readExpected('qwen2-tiny-lora-all');
    const model = loadHfModel(join(FIXTURES, 'qwen2-tiny')).model;
    try {
      const lora = loadLoraAdapter(model, join(FIXTURES, 'qwen2-tiny-lora-all'));
      expect(lora.modules.size).toBe(2 * 7);
      expect(lora.scaling).toBe(8 / 4);
      e.cases.forEach((c) => expect(relativeError(batchLogits(model, [c.input_ids])[0], c.logits.flat() as number[])).toBeLessThan(1e-4));
      batchLogits(model, e.cases.map((c) => c.input_ids)).forEach((got, i) => expect(relativeError(got, e.cases[i].logits.flat() as number[])).toBeLessThan(1e-4));
      // Merged into the base, the same logits.
      lora.merge();
      model.hooks = null;
      e.cases.forEach((c) => expect(relativeError(batchLogits(model, [c.input_ids])[0], c.logits.flat() as number[])).toBeLessThan(1e-4));
      model.hooks = lora.hooks;
      lora.unmerge();
      // Without the adapter the base is far from them (the check is not vacuous).
      setActiveAdapter(model, null);
      expect(relativeError(batchLogits(model, [e.cases[0].input_ids])[0], e.cases[0].logits.flat() as number[])).toBeGreaterThan(0.1);
    } finally {
      model.dispose();
    }
  });
});

describe('LoRA trainable parameter count = Σ r·(in + out)', () => {
  const cases: [string, string[], number][] = [
    // gpt2-tiny: d 64, ffn 256, 2 layers
    ['gpt2-tiny', ['c_attn', 'c_proj', 'c_fc'], 2 * ((64 + 192) + (64 + 64) + (256 + 64) + (64 + 256))],
    // llama-tiny: d 64, 8 heads × 8, 2 kv heads → k/v out 16, ffn 128
    ['llama-tiny', ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], 2 * (128 + 80 + 80 + 128 + 192 + 192 + 192)],
    // bert-tiny-cls: d 64, ffn 256
    ['bert-tiny-cls', ['query', 'value'], 2 * (128 + 128)],
  ];
  for (const [name, targets, perRank] of cases) {
    it(name, () => {
      const { model } = loadHfModel(join(FIXTURES, name));
      try {
        const lora = attachPeft(model, 'lora', { r: 4, targetModules: targets, modulesToSave: [] });
        const count = [...lora.trainable.values()].reduce((n, v) => n + v.size, 0);
        expect(count).toBe(4 * perRank);
        expect(loraParamCount(model, 4, targets)).toBe(4 * perRank);
      } finally {
        model.dispose();
      }
    });
  }

  it('BERT classification adds its classifier as modules_to_save, as peft does', () => {
    const { model } = loadHfModel(join(FIXTURES, 'bert-tiny-cls'));
    try {
      const lora = attachPeft(model, 'lora', { r: 4, targetModules: ['query', 'value'] }) as LoraAttachment;
      const count = [...lora.trainable.values()].reduce((n, v) => n + v.size, 0);
      expect(count).toBe(4 * 2 * 256 + 64 * 3 + 3);
      // peft records its classifier names as configured and matches them again at load.
      expect(lora.adapterConfigJson()).toMatchObject({ task_type: 'SEQ_CLS', modules_to_save: ['classifier', 'score'], fan_in_fan_out: false });
      expect(lora.savedModules).toEqual(['classifier']);
      // A head copy starts equal to the base head, so outputs are unchanged.
      const e = readExpected('bert-tiny-cls');
      batchLogits(model, [e.cases[0].input_ids]).forEach((got) => expect(maxAbsError(got, e.cases[0].logits as number[])).toBeLessThanOrEqual(5.1e-6));
    } finally {
      model.dispose();
    }
  });
});
