import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTinyDecoder } from '../../train/tiny-decoder.js';
import { trainTrial } from '../../train/train-trial.js';
import { changedWeights, snapshotWeights } from '../../train/frozen-weights.js';
import { createPromptAttachment, promptParamCount, PROMPT_TABLE } from './layer.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

const data = Array.from({ length: 16 }, (_, i) => ({ inputIds: [i % 7, (i + 1) % 7, (i * 3) % 7], label: i % 3 }));

describe('prompt tuning', { timeout: 30_000 }, () => {
  it('counts L·d parameters and keeps the logits shape [batch, seq, vocab]', () => {
    const model = createTinyDecoder({ dModel: 16 });
    const a = createPromptAttachment(model, { numVirtualTokens: 6 });
    expect(a.trainable.get(PROMPT_TABLE)!.size).toBe(promptParamCount(6, 16));
    expect(promptParamCount(6, 16)).toBe(96);
    model.hooks = a.hooks;
    const out = tf.tidy(() => model.forward({ inputIds: tf.tensor2d([[1, 2, 3]], [1, 3], 'int32'), attentionMask: tf.ones([1, 3], 'int32') as tf.Tensor2D }, { training: false }));
    expect(out.shape).toEqual([1, 3, 32]);
    out.dispose();
    a.dispose();
    model.dispose();
  });

  it('initialises from sampled vocabulary rows (seeded) and from text token ids', () => {
    const model = createTinyDecoder({ dModel: 16, vocabSize: 32 });
    const wte = model.weights.get('transformer.wte.weight')!.arraySync() as number[][];
    const text = createPromptAttachment(model, { numVirtualTokens: 5, init: 'text', initTokenIds: [7, 9] });
    const rows = text.trainable.get(PROMPT_TABLE)!.arraySync() as number[][];
    expect(rows.map((r) => r[0])).toEqual([7, 9, 7, 9, 7].map((i) => wte[i][0]));
    const s1 = createPromptAttachment(model, { numVirtualTokens: 4, init: 'sampled-vocab', seed: 3 });
    const s2 = createPromptAttachment(model, { numVirtualTokens: 4, init: 'sampled-vocab', seed: 3 });
    const r1 = s1.trainable.get(PROMPT_TABLE)!.arraySync() as number[][];
    expect(r1).toEqual(s2.trainable.get(PROMPT_TABLE)!.arraySync());
    for (const row of r1) expect(wte.some((w) => w.every((x, j) => x === row[j]))).toBe(true);
    expect(() => createPromptAttachment(model, { init: 'text' })).toThrow(/initTokenIds/);
    expect(() => createPromptAttachment(model, { init: 'text', initTokenIds: [99] })).toThrow(/99/);
    [text, s1, s2].forEach((a) => a.dispose());
    model.dispose();
  });

  it('trains only the soft prompt (base bit-identical) on a classifier', async () => {
    const model = createTinyDecoder({ seed: 9, head: 'sequence-classification', numLabels: 3 });
    const a = createPromptAttachment(model, { numVirtualTokens: 4, init: 'sampled-vocab', seed: 2 });
    model.hooks = a.hooks;
    const before = snapshotWeights(model.weights);
    const promptBefore = snapshotWeights(a.trainable);
    const r = await trainTrial({ model, attachment: a, task: 'sequence-classification', metric: 'accuracy', trainData: data, evalData: data, lr: 5e-2, batchSize: 4, maxSteps: 4, seed: 1, latency: false });
    expect(r.status).toBe('completed');
    expect(changedWeights(model.weights, before)).toEqual([]);
    expect(changedWeights(a.trainable, promptBefore)).toEqual([PROMPT_TABLE]);
    expect(r.measurements.trainableParams).toBe(4 * 16);
    a.dispose();
    model.dispose();
  });
});
