import { describe, expect, it } from 'vitest';
import type { TrainResult } from '@peft-lab/engine';
import { measurementsOf } from './run-trial.js';

const result = (m: Partial<TrainResult['measurements']>): TrainResult => ({
  status: 'completed', steps: 1, finalLoss: 1, losses: [1], metric: 'accuracy',
  measurements: {
    trainableParams: 10, totalParams: 100, trainableShare: 0.1, backend: 'cpu', peakBytes: 1, startBytes: 1,
    tokensPerSec: 1, wallTimeMs: 1000, meanStepMs: 1, storedBytes: 1, peakAllocatorBytes: 1, peakRssBytes: 1, peakRssScope: 'since-reset',
    ...m,
  } as TrainResult['measurements'],
});

describe('measurementsOf', () => {
  it('keeps the latency field names and adds the same-trial ratios with their quartiles and the forgetting losses', () => {
    const r = (median: number) => ({ median, q1: median - 0.01, q3: median + 0.02 });
    const m = measurementsOf(result({
      latency: {
        seqLen: 32, rounds: 7, batch1Ms: 2, batch8Ms: 8, baseBatch1Ms: 1.6, baseBatch8Ms: 7, mergedBatch1Ms: 1.61, mergedBatch8Ms: 7.1,
        ratios: { adaptedBatch1: r(1.25), adaptedBatch8: r(1.14), mergedBatch1: r(1.0), mergedBatch8: r(1.01) },
      },
      forgetting: { delta: 0.5, baseLoss: 4.5, adaptedLoss: 5, sequences: 32, seqLen: 64, source: 'held-out' },
    }));
    expect(m).toMatchObject({
      latencyMsBatch1: 2, latencyBaseMsBatch1: 1.6, latencyMergedMsBatch1: 1.61, latencyRounds: 7,
      latencyRatioBatch1: 1.25, latencyRatioBatch1Q1: 1.24, latencyRatioBatch1Q3: 1.27, latencyRatioBatch8: 1.14,
      latencyMergedRatioBatch1: 1, latencyMergedRatioBatch8Q3: 1.03,
      forgettingLoss: 0.5, forgettingBaseLoss: 4.5, forgettingAdaptedLoss: 5, forgettingNote: 'held-out',
    });
  });

  it('stores null with the reason where forgetting could not be measured, and null ratios for a method that cannot merge', () => {
    const m = measurementsOf(result({
      latency: { seqLen: 32, rounds: 7, batch1Ms: 2, batch8Ms: 8, baseBatch1Ms: 1.6, baseBatch8Ms: 7, ratios: { adaptedBatch1: { median: 1.2, q1: 1.1, q3: 1.3 }, adaptedBatch8: { median: 1.1, q1: 1, q3: 1.2 } } },
      forgetting: { delta: null, reason: 'this bert model with a sequence-classification head holds no LM head' },
    }));
    expect(m.latencyMergedRatioBatch1).toBeNull();
    expect(m.latencyMergedRatioBatch1Q1).toBeNull();
    expect(m.forgettingLoss).toBeNull();
    expect(m.forgettingNote).toMatch(/no LM head/);
    expect(measurementsOf(result({})).forgettingNote).toBe('not measured');
  });
});
