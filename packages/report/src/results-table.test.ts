import { describe, expect, it } from 'vitest';
import { aggregateSweep } from './aggregate.js';
import { parseReportInput } from './input.js';
import { resultsTable } from './results-table.js';

const input = (trials: { method: 'full' | 'lora' | 'adapter'; m: Record<string, number | string | null> }[]) => parseReportInput({
  sweep: { id: 's', name: 'n', status: 'completed', spec: {}, baseModel: 'builtin', task: 'spam', createdAt: '2026-01-01T00:00:00Z' },
  objective: { metric: 'accuracy', direction: 'maximize' },
  trials: trials.map((t, i) => ({ id: `t${i}`, index: i, method: t.method, hyperparameters: {}, seed: i, status: 'completed', summary: { accuracy: 0.9 }, measurements: t.m })),
});

describe('resultsTable', () => {
  it('prints same-trial latency ratios with their quartiles and the forgetting column; older trials keep the ratio to full', () => {
    const t = resultsTable(aggregateSweep(input([
      { method: 'full', m: { latencyMsBatch1: 4, forgettingLoss: 10.13, forgettingNote: 'held-out pretraining documents' } },
      { method: 'lora', m: { latencyMsBatch1: 4.5, latencyRatioBatch1: 1.12, latencyRatioBatch1Q1: 1.1, latencyRatioBatch1Q3: 1.15, latencyMergedMsBatch1: 4.02, latencyMergedRatioBatch1: 1.005, latencyMergedRatioBatch1Q1: 0.99, latencyMergedRatioBatch1Q3: 1.02, forgettingLoss: 0.5 } },
      { method: 'adapter', m: { latencyMsBatch1: 4.8 } },
    ])));
    expect(t.header.at(-1)).toBe('Forgetting');
    const col = (name: string) => t.header.indexOf(name);
    const [full, lora, adapter] = t.rows;
    expect(lora[col('Latency (batch 1)')]).toBe('4.50 ms (1.12× base [1.10–1.15]); merged 4.02 ms (1.00× base [0.99–1.02])');
    expect(adapter[col('Latency (batch 1)')]).toBe('4.80 ms (1.20×)');
    expect(full[col('Forgetting')]).toBe('+10.13 nats/token');
    expect(lora[col('Forgetting')]).toBe('+0.500 nats/token');
    expect(adapter[col('Forgetting')]).toBe('—');
  });
});
