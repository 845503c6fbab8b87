import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PeftAttachment } from '../types.js';
import { createTinyDecoder } from '../train/tiny-decoder.js';
import { createAdapterAttachment } from '../peft/adapter/layer.js';
import { countParams } from './params.js';
import { interleavedTimings, measureInferenceLatency, median, perRoundRatio, quantile } from './latency.js';
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
    for (const r of [l.ratios.adaptedBatch1, l.ratios.adaptedBatch8, l.ratios.mergedBatch1!, l.ratios.mergedBatch8!]) {
      expect(r.median).toBeGreaterThan(0);
      expect(r.q1).toBeLessThanOrEqual(r.median);
      expect(r.q3).toBeGreaterThanOrEqual(r.median);
    }
    expect(l.rounds).toBe(3);
    // Merged once per round (1 warmup + 3 timed), unmerged after each.
    expect(calls).toEqual(Array(4).fill(['merge', 'unmerge']).flat());
    expect(model.hooks).toBe(a.hooks);
    a.dispose();
    model.dispose();
  });

  it('times variants interleaved (A, B, C, A, B, C…) on one clock: medians and per-round ratios with quartiles', async () => {
    let clock = 0;
    const order: string[] = [];
    let current = 'adapted';
    // Workload cost per variant, with a slow minute in round 2 that hits every variant alike.
    const cost: Record<string, number> = { base: 10, adapted: 12, merged: 10 };
    let round = -1;
    const slow = (r: number) => (r === 2 ? 3 : 1);
    const work = (batch: number) => async () => { order.push(`${current}:b${batch}`); clock += cost[current] * batch * slow(round); };
    const variants = [
      { name: 'base' as const, enter: () => { round++; current = 'base'; order.push('enter base'); }, leave: () => { current = 'adapted'; } },
      { name: 'adapted' as const },
      { name: 'merged' as const, enter: () => { current = 'merged'; order.push('merge'); }, leave: () => { current = 'adapted'; order.push('unmerge'); } },
    ];
    const t = await interleavedTimings(variants, { b1: work(1), b8: work(8) }, { rounds: 4, warmup: 1, repeats: 1, now: () => clock });
    const oneRound = ['enter base', 'base:b1', 'base:b8', 'adapted:b1', 'adapted:b8', 'merge', 'merged:b1', 'merged:b8', 'unmerge'];
    expect(order).toEqual(Array(5).fill(oneRound).flat());
    // Warmup (round 0) dropped; round 2 is the slow one.
    expect(t.base.b1).toEqual([10, 30, 10, 10]);
    expect(t.adapted.b8).toEqual([96, 288, 96, 96]);
    expect(median(t.adapted.b1)).toBe(12);
    // The slow minute cancels out of the same-round ratio.
    expect(perRoundRatio(t.adapted.b1, t.base.b1)).toEqual({ median: 1.2, q1: 1.2, q3: 1.2 });
    expect(perRoundRatio(t.merged.b8, t.base.b8)).toEqual({ median: 1, q1: 1, q3: 1 });
    expect(perRoundRatio([1, 2, 3, 4], [1, 1, 1, 1])).toEqual({ median: 2.5, q1: 1.75, q3: 3.25 });
    expect(quantile([4, 1, 3, 2, 5], 0.25)).toBe(2);
  });

  it('a settling variant gets one untimed pass after entering; each round keeps the fastest of 2 repeats', async () => {
    let clock = 0;
    const order: string[] = [];
    let n = 0;
    // Every 3rd pass is hit by another process's burst (+100 ms); the settling pass costs 50.
    const work = async () => { order.push('run'); n++; clock += n % 3 === 0 ? 110 : 10; };
    const variants = [
      { name: 'base' as const, enter: () => order.push('enter base') },
      { name: 'merged' as const, settle: true, enter: () => order.push('merge') },
    ];
    const t = await interleavedTimings(variants, { b1: work }, { rounds: 2, warmup: 0, now: () => clock });
    expect(order).toEqual(['enter base', 'run', 'run', 'merge', 'run', 'run', 'run', 'enter base', 'run', 'run', 'merge', 'run', 'run', 'run']);
    expect(t.base.b1).toEqual([10, 10]);
    expect(t.merged.b1).toEqual([10, 10]);
  });

  it('times a method that cannot merge as base and adapted only (real forward passes)', async () => {
    const model = createTinyDecoder();
    const a = createAdapterAttachment(model, { bottleneck: 2 });
    model.hooks = a.hooks;
    const l = await measureInferenceLatency(model, a, { seqLen: 8, runs: 3 });
    expect(l.mergedBatch1Ms).toBeUndefined();
    expect(l.ratios.mergedBatch1).toBeUndefined();
    expect(l.ratios.adaptedBatch1.median).toBeGreaterThan(0);
    expect(l.ratios.adaptedBatch8.median).toBeGreaterThan(0);
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
