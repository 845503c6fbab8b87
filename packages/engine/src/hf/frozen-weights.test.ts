import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeftConfigError } from '../errors.js';
import { attachPeft } from '../peft/base.js';
import '../peft/lora/index.js';
import '../peft/full/index.js';
import { batchLogits, FIXTURES, readExpected, useTestBackend } from '../models/test-helpers.js';
import { trainTrial } from '../train/train-trial.js';
import { FrozenWeightCache } from './frozen-weights.js';
import { loadHfModel } from './model-io.js';

const dir = join(FIXTURES, 'gpt2-tiny');
const ids = readExpected('gpt2-tiny').cases.map((c) => c.input_ids);
const tmp = mkdtempSync(join(tmpdir(), 'frozen-weights-'));

beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const examples = ids.map((inputIds) => ({ inputIds }));

describe('FrozenWeightCache', () => {
  it('two models of one checkpoint share its weights; disposing one leaves the other whole', () => {
    const cache = new FrozenWeightCache();
    const a = loadHfModel(dir, { frozenWeights: cache }).model;
    const b = loadHfModel(dir, { frozenWeights: cache }).model;
    const name = 'transformer.h.0.attn.c_attn.weight';
    expect(b.weights.get(name)).toBe(a.weights.get(name));
    const plain = loadHfModel(dir).model;
    const want = batchLogits(plain, ids);
    a.dispose();
    expect(batchLogits(b, ids)).toEqual(want);
    expect(cache.residentBytes(dir)).toBeGreaterThan(0);
    b.dispose();
    // Idle but kept (keepIdle 1): the next trial on this checkpoint reads nothing.
    expect(cache.size).toBe(1);
    const c = loadHfModel(dir, { frozenWeights: cache }).model;
    expect(batchLogits(c, ids)).toEqual(want);
    c.dispose();
    plain.dispose();
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('a LoRA trial on a shared base leaves it bit-identical for the next trial (training, merged latency)', async () => {
    const cache = new FrozenWeightCache();
    const before = loadHfModel(dir).model;
    const snapshot = new Map([...before.weights].map(([k, v]) => [k, v.dataSync().slice()]));
    before.dispose();
    for (const seed of [1, 2]) {
      const model = loadHfModel(dir, { frozenWeights: cache, seed }).model;
      const lora = attachPeft(model, 'lora', { r: 2, targetModules: ['c_attn'] });
      await trainTrial({
        model, attachment: lora, task: 'causal-lm', metric: 'perplexity', trainData: examples, lr: 1e-2,
        maxSteps: 2, batchSize: 2, seed, latency: { seqLen: 4, runs: 1 },
      });
      for (const [k, v] of model.weights) expect(v.dataSync(), k).toEqual(snapshot.get(k));
      lora.dispose();
      model.dispose();
    }
    cache.clear();
  });

  it('full fine-tuning refuses a shared base', () => {
    const cache = new FrozenWeightCache();
    const model = loadHfModel(dir, { frozenWeights: cache }).model;
    try {
      expect(() => attachPeft(model, 'full')).toThrow(PeftConfigError);
      expect([...model.weights.values()].every((v) => !v.trainable)).toBe(true);
    } finally {
      model.dispose();
      cache.clear();
    }
  });

  it('a checkpoint rewritten in place is read again; a second checkpoint evicts the idle first', () => {
    const copy = join(tmp, 'gpt2-copy');
    cpSync(dir, copy, { recursive: true });
    const cache = new FrozenWeightCache();
    loadHfModel(copy, { frozenWeights: cache }).model.dispose();
    const before = tf.memory().numTensors;
    writeFileSync(join(copy, 'config.json'), `${readFileSync(join(copy, 'config.json'), 'utf8').trimEnd()}\n\n`);
    const m = loadHfModel(copy, { frozenWeights: cache }).model;
    expect(cache.size).toBe(1); // the stale entry was idle and freed before the new read
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    loadHfModel(dir, { frozenWeights: cache }).model.dispose();
    expect(cache.size).toBe(1);
    expect(cache.residentBytes(copy)).toBe(0);
    cache.clear();
  });
});
