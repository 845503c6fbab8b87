import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTinyDecoder } from '../../train/tiny-decoder.js';
import { trainTrial } from '../../train/train-trial.js';
import { changedWeights, snapshotWeights } from '../../train/frozen-weights.js';
import { PrefixConfigSchema } from './config.js';
import { createPrefixAttachment, prefixParamCount, PREFIX_TABLE } from './layer.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

const inputs = () => ({ inputIds: tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 0]], [2, 4], 'int32'), attentionMask: tf.tensor2d([[1, 1, 1, 1], [1, 1, 1, 0]], [2, 4], 'int32') });
const data = Array.from({ length: 16 }, (_, i) => ({ inputIds: [i % 7, (i + 1) % 7, (i * 3) % 7, 3, 4] }));
const size = (m: Map<string, tf.Variable>) => [...m.values()].reduce((s, v) => s + v.size, 0);

describe('prefix tuning', { timeout: 30_000 }, () => {
  it('counts trainable parameters analytically, with and without the MLP', () => {
    const model = createTinyDecoder({ dModel: 16, numLayers: 2, numHeads: 2 });
    const plain = createPrefixAttachment(model, { numVirtualTokens: 5 });
    expect(size(plain.trainable)).toBe(5 * 2 * 2 * 16);
    const mlp = createPrefixAttachment(model, { numVirtualTokens: 5, prefixProjection: true, encoderHiddenSize: 8 });
    const expected = 5 * 16 + 16 * 8 + 8 + 8 * 64 + 64;
    expect(size(mlp.trainable)).toBe(expected);
    expect(prefixParamCount(PrefixConfigSchema.parse({ numVirtualTokens: 5, prefixProjection: true, encoderHiddenSize: 8 }), model.config)).toBe(expected);
    // Stored per task: the folded table only.
    expect(Math.abs(mlp.storedBytes() - plain.storedBytes())).toBeLessThan(32);
    expect(plain.storedBytes()).toBeGreaterThan(5 * 64 * 4);
    [plain, mlp].forEach((a) => a.dispose());
    model.dispose();
  });

  it('changes the output, trains only the prefix, and fold() keeps outputs equal', async () => {
    const model = createTinyDecoder({ seed: 3 });
    const x = inputs();
    const baseOut = tf.tidy(() => model.forward(x, { training: false }));
    const a = createPrefixAttachment(model, { numVirtualTokens: 3, prefixProjection: true, seed: 4, initStd: 0.5 });
    model.hooks = a.hooks;
    const before = snapshotWeights(model.weights);
    const r = await trainTrial({ model, attachment: a, task: 'causal-lm', metric: 'perplexity', trainData: data, lr: 1e-2, batchSize: 4, maxSteps: 3, seed: 1, latency: false });
    expect(r.status).toBe('completed');
    expect(changedWeights(model.weights, before)).toEqual([]);
    const unfolded = tf.tidy(() => model.forward(x, { training: false }));
    expect(tf.max(tf.abs(unfolded.sub(baseOut))).dataSync()[0]).toBeGreaterThan(1e-4);
    expect(a.folded).toBe(false);
    a.fold();
    expect(a.folded).toBe(true);
    expect([...a.trainable.keys()]).toEqual([PREFIX_TABLE]);
    expect(a.trainable.get(PREFIX_TABLE)!.shape).toEqual([3, 2 * 2 * 16]);
    const folded = tf.tidy(() => model.forward(x, { training: false }));
    expect(tf.max(tf.abs(folded.sub(unfolded))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([baseOut, unfolded, folded, x.inputIds, x.attentionMask]);
    a.dispose();
    model.dispose();
  });

  it('a prefix of all padding-free positions is visible to the first query (mask extended)', () => {
    const model = createTinyDecoder({ seed: 5 });
    const a = createPrefixAttachment(model, { numVirtualTokens: 2, initStd: 1 });
    const x = inputs();
    const base = tf.tidy(() => model.forward(x, { training: false }).slice([0, 0, 0], [1, 1, -1]));
    model.hooks = a.hooks;
    const withPrefix = tf.tidy(() => model.forward(x, { training: false }).slice([0, 0, 0], [1, 1, -1]));
    expect(tf.max(tf.abs(base.sub(withPrefix))).dataSync()[0]).toBeGreaterThan(1e-4);
    tf.dispose([base, withPrefix, x.inputIds, x.attentionMask]);
    a.dispose();
    model.dispose();
  });
});
