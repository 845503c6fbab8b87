import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTinyDecoder } from '../../train/tiny-decoder.js';
import { trainTrial } from '../../train/train-trial.js';
import { changedWeights, snapshotWeights } from '../../train/frozen-weights.js';
import { AdapterConfigSchema } from './config.js';
import { adapterParamCount, createAdapterAttachment } from './layer.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

const ids = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 0]], [2, 4], 'int32');
const mask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 1, 0]], [2, 4], 'int32');
const data = Array.from({ length: 16 }, (_, i) => ({ inputIds: [i % 7, (i + 1) % 7, (i * 3) % 7, 3, 4] }));

describe('bottleneck adapters', { timeout: 30_000 }, () => {
  it('count trainable parameters analytically (houlsby, pfeiffer, reductionFactor)', () => {
    const model = createTinyDecoder({ dModel: 16, numLayers: 2 });
    const h = createAdapterAttachment(model, { placement: 'houlsby', bottleneck: 4 });
    const count = (a: { trainable: Map<string, tf.Variable> }) => [...a.trainable.values()].reduce((s, v) => s + v.size, 0);
    expect(count(h)).toBe(2 * 2 * (2 * 16 * 4 + 4 + 16));
    expect(count(h)).toBe(adapterParamCount(AdapterConfigSchema.parse({ placement: 'houlsby', bottleneck: 4 }), 16, 2));
    const p = createAdapterAttachment(model, { placement: 'pfeiffer', reductionFactor: 8 });
    expect(count(p)).toBe(2 * (2 * 16 * 2 + 2 + 16));
    expect(p.storedBytes()).toBeGreaterThan(count(p) * 4);
    expect(p.storedBytes()).toBeLessThan(count(p) * 4 + 2000);
    [h, p].forEach((a) => a.dispose());
    model.dispose();
  });

  it('rejects both bottleneck and reductionFactor, naming them', () => {
    expect(() => AdapterConfigSchema.parse({ bottleneck: 4, reductionFactor: 4 })).toThrow(/bottleneck/);
    expect(() => AdapterConfigSchema.parse({ nonLinearity: 'sigmoid' })).toThrow(/nonLinearity/);
  });

  it('starts as the identity and trains only the adapters (base bit-identical)', async () => {
    for (const nonLinearity of ['relu', 'gelu', 'tanh', 'swish'] as const) {
      const model = createTinyDecoder({ seed: 2 });
      const baseOut = tf.tidy(() => model.forward({ inputIds: ids, attentionMask: mask }, { training: false }));
      const a = createAdapterAttachment(model, { placement: 'houlsby', bottleneck: 3, nonLinearity, seed: 1 });
      model.hooks = a.hooks;
      const adaptedOut = tf.tidy(() => model.forward({ inputIds: ids, attentionMask: mask }, { training: false }));
      expect(tf.max(tf.abs(baseOut.sub(adaptedOut))).dataSync()[0]).toBe(0);
      const before = snapshotWeights(model.weights);
      const adapterBefore = snapshotWeights(a.trainable);
      const r = await trainTrial({ model, attachment: a, task: 'causal-lm', metric: 'perplexity', trainData: data, lr: 1e-2, batchSize: 4, maxSteps: 4, seed: 1, latency: false });
      expect(r.status).toBe('completed');
      expect(changedWeights(model.weights, before)).toEqual([]);
      expect(changedWeights(a.trainable, adapterBefore).length).toBeGreaterThan(0);
      tf.dispose([baseOut, adaptedOut]);
      a.dispose();
      model.dispose();
    }
  });
});
