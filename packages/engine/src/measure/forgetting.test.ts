import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { attachPeft } from '../peft/base.js';
import '../peft/lora/index.js';
import { FIXTURES, useTestBackend } from '../models/test-helpers.js';
import { loadHfModel } from '../hf/model-io.js';
import { createTinyDecoder } from '../train/tiny-decoder.js';
import { trainTrial } from '../train/train-trial.js';
import { languageModelLoss, languageModelLossWith, measureForgetting } from './forgetting.js';

beforeAll(async () => {
  await useTestBackend();
});

/** A fixed pseudo-text sample: 6 rows of 12 ids below `vocab`. */
const sample = (vocab: number) => Array.from({ length: 6 }, (_, r) => Array.from({ length: 12 }, (_, i) => (r * 31 + i * 17 + 5) % vocab));

describe('forgetting', { timeout: 60_000 }, () => {
  it('the base model against itself forgets exactly 0, and the loss is a mean over next-token predictions', async () => {
    const model = createTinyDecoder({ vocabSize: 32 });
    const seqs = sample(32);
    const before = tf.memory().numTensors;
    const base = await languageModelLoss(model, seqs);
    expect(tf.memory().numTensors).toBe(before);
    expect(base).toBeGreaterThan(0);
    // An untrained model is close to uniform: ≈ ln 32.
    expect(Math.abs(base! - Math.log(32))).toBeLessThan(0.5);
    const f = await measureForgetting(model, { sequences: seqs, source: 'test' }, base);
    expect(f).toEqual({ delta: 0, baseLoss: base, adaptedLoss: base, sequences: 6, seqLen: 12, source: 'test' });
    model.dispose();
  });

  it('a classification model scores text through its tied LM head (GPT-2), with the adapter applied', async () => {
    const { model } = loadHfModel(join(FIXTURES, 'gpt2-tiny'), { head: 'sequence-classification', numLabels: 2, seed: 1 });
    const { model: lm } = loadHfModel(join(FIXTURES, 'gpt2-tiny'), { head: 'causal-lm' });
    const seqs = sample(model.config.vocabSize);
    const cls = await languageModelLoss(model, seqs);
    // The same base weights: the classification model's LM view is the causal-LM model's loss.
    expect(cls).toBeCloseTo((await languageModelLoss(lm, seqs))!, 5);
    const a = attachPeft(model, 'lora', { r: 4, targetModules: ['c_attn'], seed: 3 });
    for (const [k, v] of a.trainable) if (k.includes('lora_B')) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', 7));
    const adapted = await languageModelLoss(model, seqs);
    expect(Number.isFinite(adapted)).toBe(true);
    expect(adapted).not.toBe(cls);
    expect(await languageModelLossWith(model, null, seqs)).toBe(cls);
    expect(model.hooks).toBe(a.hooks);
    a.dispose();
    model.dispose();
    lm.dispose();
  });

  it('Llama-likes: a tied head serves a classifier (qwen2-tiny), an untied lm_head is not loaded for one (llama-tiny): null', async () => {
    const { model: tied } = loadHfModel(join(FIXTURES, 'qwen2-tiny'), { head: 'sequence-classification', numLabels: 2, seed: 1 });
    const { model: tiedLm } = loadHfModel(join(FIXTURES, 'qwen2-tiny'), { head: 'causal-lm' });
    const seqs = sample(tied.config.vocabSize);
    expect(await languageModelLoss(tied, seqs)).toBeCloseTo((await languageModelLoss(tiedLm, seqs))!, 5);
    const { model: untied } = loadHfModel(join(FIXTURES, 'llama-tiny'), { head: 'sequence-classification', numLabels: 2, seed: 1 });
    expect(await languageModelLoss(untied, sample(untied.config.vocabSize))).toBeNull();
    const { model: untiedLm } = loadHfModel(join(FIXTURES, 'llama-tiny'), { head: 'causal-lm' });
    expect(Number.isFinite(await languageModelLoss(untiedLm, sample(untiedLm.config.vocabSize)))).toBe(true);
    for (const m of [tied, tiedLm, untied, untiedLm]) m.dispose();
  });

  it('a BERT-like classifier has no LM head: null with the reason', async () => {
    const { model } = loadHfModel(join(FIXTURES, 'bert-tiny-cls'), { head: 'sequence-classification', numLabels: 3 });
    expect(await languageModelLoss(model, sample(model.config.vocabSize))).toBeNull();
    const f = await measureForgetting(model, { sequences: sample(model.config.vocabSize) }, null);
    expect(f.delta).toBeNull();
    expect('reason' in f && f.reason).toMatch(/bert.*sequence-classification/);
    model.dispose();
  });

  it('trainTrial records forgetting: base loss before training, trained loss after', async () => {
    const model = createTinyDecoder({ vocabSize: 32 });
    const seqs = sample(32);
    const base = await languageModelLoss(model, seqs);
    const full = { method: 'full' as const, adapterName: 'default', config: {}, hooks: {}, trainable: new Map(model.weights), storedBytes: () => 0, dispose: () => {} };
    // Trained on one repeated sequence with a large lr: the general sample's loss must rise.
    const data = Array.from({ length: 8 }, () => ({ inputIds: [1, 2, 3, 4, 5, 6, 7, 8] }));
    const r = await trainTrial({ model, attachment: full, task: 'causal-lm', metric: 'perplexity', trainData: data, lr: 3e-2, batchSize: 4, maxSteps: 8, seed: 1, latency: false, forgetting: { sequences: seqs } });
    const f = r.measurements.forgetting!;
    expect(f.delta).not.toBeNull();
    if (f.delta === null) return;
    expect(f.baseLoss).toBe(base);
    expect(f.delta).toBeGreaterThan(0);
    expect(f.adaptedLoss).toBeCloseTo(base! + f.delta, 10);
    model.dispose();
  });
});
