import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PeftAttachment, TransformerModel } from '../types.js';
import { createTinyDecoder } from './tiny-decoder.js';
import { createModel, normalizeHfConfig } from '../models/registry.js';
import { attachPeft } from '../peft/base.js';
import '../peft/full/index.js';
import { trainTrial, type TrainTrialOptions } from './train-trial.js';
import { deserializeCheckpoint, serializeCheckpoint, type TrainCheckpoint } from './checkpoint.js';
import { collate, type TokenExample } from './collate.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Every base weight trainable: the simplest attachment, enough to test the loop. */
function fullAttachment(model: TransformerModel): PeftAttachment {
  return {
    method: 'full', adapterName: 'default', config: {}, hooks: {},
    trainable: new Map(model.weights),
    storedBytes: () => [...model.weights.values()].reduce((s, v) => s + v.size * 4, 0),
    dispose() {},
  };
}

const lmData: TokenExample[] = Array.from({ length: 24 }, (_, i) => ({
  inputIds: Array.from({ length: 4 + (i % 5) }, (_, t) => (i + t * 3) % 16),
}));
const clsData: TokenExample[] = Array.from({ length: 24 }, (_, i) => ({
  inputIds: Array.from({ length: 3 + (i % 4) }, (_, t) => (i % 3) * 5 + t),
  label: i % 3,
}));

function base(model: TransformerModel, extra: Partial<TrainTrialOptions> = {}): TrainTrialOptions {
  return {
    model, attachment: fullAttachment(model), task: 'causal-lm', metric: 'perplexity',
    trainData: lmData, evalData: lmData.slice(0, 8), lr: 1e-2, batchSize: 4, maxSteps: 10, seed: 7,
    warmupSteps: 2, weightDecay: 0.01, gradClip: 1, latency: false, ...extra,
  };
}

describe('trainTrial', { timeout: 30_000 }, () => {
  it('lowers the causal-LM loss and reports measurements', async () => {
    const model = createTinyDecoder({ seed: 3 });
    const evals: number[] = [];
    const r = await trainTrial(base(model, { maxSteps: 30, evalEvery: 10, callbacks: { onEval: (s) => { evals.push(s); } } }));
    expect(r.status).toBe('completed');
    expect(r.steps).toBe(30);
    expect(r.losses[29]).toBeLessThan(r.losses[0] * 0.8);
    expect(evals).toEqual([10, 20, 30]);
    expect(r.finalMetric).toBeGreaterThan(1);
    expect(r.measurements.trainableShare).toBe(1);
    expect(r.measurements.peakBytes).toBeGreaterThan(r.measurements.startBytes);
    expect(r.measurements.backend).toBe('cpu');
    expect(r.measurements.tokensPerSec).toBeGreaterThan(0);
    model.dispose();
  });

  it('trains a sequence classifier to fit its training set', async () => {
    const model = createTinyDecoder({ seed: 4, head: 'sequence-classification', numLabels: 3 });
    const r = await trainTrial(base(model, { task: 'sequence-classification', metric: 'accuracy', trainData: clsData, evalData: clsData, maxSteps: 40 }));
    expect(r.finalEval?.accuracy).toBeGreaterThan(0.9);
    expect(r.finalEval?.macroF1).toBeGreaterThan(0.9);
    model.dispose();
  });

  it('is deterministic, and 5 steps + checkpoint + resume 5 repeats the straight 10-step curve', async () => {
    const m1 = createTinyDecoder({ seed: 5 });
    let saved: TrainCheckpoint | undefined;
    const straight = await trainTrial(base(m1, { checkpointEvery: 5, callbacks: { onCheckpoint: (s, c) => { if (s === 5) saved = c; } } }));
    const m2 = createTinyDecoder({ seed: 5 });
    const again = await trainTrial(base(m2));
    expect(again.losses).toEqual(straight.losses);
    const m3 = createTinyDecoder({ seed: 5 });
    const bytes = serializeCheckpoint(saved!);
    const resumed = await trainTrial(base(m3, { resumeFrom: bytes }));
    expect(resumed.steps).toBe(10);
    expect(resumed.losses).toHaveLength(5);
    resumed.losses.forEach((l, i) => expect(Math.abs(l - straight.losses[5 + i])).toBeLessThan(1e-6));
    expect(deserializeCheckpoint(bytes).dataPosition).toEqual(saved!.dataPosition);
    [m1, m2, m3].forEach((m) => m.dispose());
  });

  it('seeds dropout: a GPT-2 with dropout 0.3 repeats its losses under the same seed', async () => {
    const config = normalizeHfConfig({ model_type: 'gpt2', vocab_size: 32, n_positions: 16, n_embd: 16, n_layer: 1, n_head: 2, resid_pdrop: 0.3, embd_pdrop: 0.3, attn_pdrop: 0.3 });
    const run = async (seed: number) => {
      const model = createModel(config, 'causal-lm', 3);
      const attachment = attachPeft(model, 'full', {});
      const r = await trainTrial(base(model, { attachment, maxSteps: 4, evalData: undefined, seed }));
      attachment.dispose();
      model.dispose();
      return r.losses;
    };
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    expect(await run(2)).not.toEqual(a);
  });

  it('ends with a reason on a non-finite loss, and on shouldStop', async () => {
    const model = createTinyDecoder({ seed: 6 });
    const w = model.weights.get('transformer.h.0.mlp.c_fc.weight')!;
    const after3 = base(model, { callbacks: { onStep: (s) => { if (s === 3) w.assign(tf.fill(w.shape, NaN)); } } });
    const r = await trainTrial(after3);
    expect(r.status).toBe('failed');
    expect(r.reason).toBe('non-finite loss at step 4');
    const m2 = createTinyDecoder({ seed: 6 });
    const s = await trainTrial(base(m2, { callbacks: { shouldStop: async (step) => step >= 2 } }));
    expect(s.status).toBe('stopped');
    expect(s.steps).toBe(2);
    [model, m2].forEach((m) => m.dispose());
  });

  it('does not leak tensors', async () => {
    const model = createTinyDecoder({ seed: 8 });
    const before = tf.memory().numTensors;
    await trainTrial(base(model, { maxSteps: 3, evalEvery: 2, latency: { seqLen: 8, runs: 1 } }));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('takes batches from a BatchSource and resumes it at the checkpointed position', async () => {
    const opened: string[] = [];
    const source = {
      batchesPerEpoch: 3,
      *open(from: { epoch: number; index: number }) {
        opened.push(`${from.epoch}:${from.index}`);
        for (let i = from.index; i < 3; i++) yield collate(lmData.slice(i * 4, i * 4 + 4), { task: 'causal-lm' });
      },
    };
    const model = createTinyDecoder({ seed: 10 });
    let saved: TrainCheckpoint | undefined;
    const r = await trainTrial(base(model, { trainData: source, evalData: undefined, epochs: 2, maxSteps: undefined, checkpointEvery: 4, callbacks: { onCheckpoint: (_s, c) => { saved = c; } } }));
    expect(r.steps).toBe(6);
    expect(opened).toEqual(['0:0', '1:0']);
    expect(saved!.dataPosition).toEqual({ epoch: 1, index: 1 });
    const m2 = createTinyDecoder({ seed: 10 });
    opened.length = 0;
    const resumed = await trainTrial(base(m2, { trainData: source, evalData: undefined, epochs: 2, maxSteps: undefined, resumeFrom: saved }));
    expect(opened).toEqual(['1:1']);
    resumed.losses.forEach((l, i) => expect(Math.abs(l - r.losses[4 + i])).toBeLessThan(1e-6));
    [model, m2].forEach((m) => m.dispose());
  });

  it('rejects bad options naming the field', async () => {
    const model = createTinyDecoder();
    await expect(trainTrial(base(model, { epochs: 1 }))).rejects.toThrow(/maxSteps\/epochs/);
    await expect(trainTrial(base(model, { batchSize: 0 }))).rejects.toThrow(/batchSize = 0/);
    model.dispose();
  });
});
