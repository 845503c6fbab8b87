import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PeftAttachment } from '../types.js';
import { createTinyDecoder } from '../train/tiny-decoder.js';
import { createAdapterAttachment } from '../peft/adapter/layer.js';
import { countParams } from './params.js';
import { measureInferenceLatency, median } from './latency.js';
import { liveBufferBytes, PeakMemorySampler } from './memory.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

describe('measurements', { timeout: 30_000 }, () => {
  it('counts each variable once (full FT shares the base variables)', () => {
    const model = createTinyDecoder({ dModel: 16, numLayers: 1, vocabSize: 32, ffnDim: 32, maxPositions: 8 });
    const base = [...model.weights.values()].reduce((s, v) => s + v.size, 0);
    const full = { trainable: new Map(model.weights) } as PeftAttachment;
    expect(countParams(model, full)).toEqual({ trainableParams: base, totalParams: base, trainableShare: 1 });
    const a = createAdapterAttachment(model, { bottleneck: 2 });
    const added = 2 * 16 * 2 + 2 + 16;
    const c = countParams(model, a);
    expect(c.trainableParams).toBe(added);
    expect(c.totalParams).toBe(base + added);
    expect(c.trainableShare).toBeCloseTo(added / (base + added), 12);
    a.dispose();
    model.dispose();
  });

  it('times inference at batch 1 and 8, merged when the method merges, and restores the hooks', async () => {
    const model = createTinyDecoder();
    const a = createAdapterAttachment(model, { bottleneck: 2 });
    const calls: string[] = [];
    const mergeable: PeftAttachment = { ...a, merge: () => calls.push('merge'), unmerge: () => calls.push('unmerge') };
    model.hooks = a.hooks;
    const before = tf.memory().numTensors;
    const l = await measureInferenceLatency(model, mergeable, { seqLen: 8, warmup: 1, runs: 3 });
    expect(tf.memory().numTensors).toBe(before);
    for (const ms of [l.batch1Ms, l.batch8Ms, l.mergedBatch1Ms!, l.mergedBatch8Ms!, l.baseBatch1Ms, l.baseBatch8Ms]) expect(ms).toBeGreaterThan(0);
    expect(calls).toEqual(['merge', 'unmerge']);
    expect(model.hooks).toBe(a.hooks);
    a.dispose();
    model.dispose();
  });

  it('median and peak sampling', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const s = new PeakMemorySampler();
    const t = tf.zeros([1000]);
    s.sample();
    t.dispose();
    s.sample();
    expect(s.peakBytes - s.startBytes).toBe(4000);
  });

  it('peak sampling counts a buffer once however many tensors share it (clones saved for the backward pass)', () => {
    const s = new PeakMemorySampler();
    const t = tf.zeros([1000]);
    const clones = [tf.clone(t), tf.clone(t), t.reshape([10, 100])];
    s.sample();
    expect(s.peakBytes - s.startBytes).toBe(4000);
    expect(tf.memory().numBytes - s.startBytes).toBeGreaterThanOrEqual(16000); // tfjs's own count: every object
    t.dispose();
    s.sample();
    expect(liveBufferBytes() - s.startBytes).toBe(4000); // the clones still hold it
    tf.dispose(clones);
    expect(liveBufferBytes()).toBe(s.startBytes);
  });
});
