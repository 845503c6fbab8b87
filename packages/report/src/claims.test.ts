import { describe, expect, it } from 'vitest';
import { aggregateSweep } from './aggregate.js';
import { checkClaims, type ClaimResult } from './claims.js';
import { parseReportInput, type Method } from './input.js';

type T = { method: Method; acc?: number; m?: Record<string, number | null>; hp?: Record<string, number> };

/** A crafted sweep: one completed trial per entry. */
function claimsFor(trials: T[], metric = 'accuracy', direction: 'maximize' | 'minimize' = 'maximize'): Record<string, ClaimResult> {
  const input = parseReportInput({
    sweep: { id: 's', name: 'n', status: 'completed', spec: {}, baseModel: 'b', task: 'spam', createdAt: '2026-01-01T00:00:00Z' },
    objective: { metric, direction },
    trials: trials.map((t, i) => ({
      id: `t${i}`,
      index: i,
      method: t.method,
      hyperparameters: t.hp ?? {},
      seed: i,
      status: 'completed',
      summary: t.acc === undefined ? {} : { [metric]: t.acc },
      measurements: t.m ?? {},
    })),
  });
  const claims = checkClaims(input, aggregateSweep(input));
  return Object.fromEntries(claims.map((c) => [c.id, c]));
}

describe('checkClaims', () => {
  it('lists every claim of the issue, in order, each with threshold and reasoning', () => {
    const ids = Object.keys(claimsFor([]));
    expect(ids).toEqual([
      'lora-trainable-share',
      'lora-merged-no-latency',
      'adapter-latency',
      'prefix-trainable-share',
      'prompt-trainable-share',
      'peft-memory',
      'peft-training-cost',
      'peft-full-quality',
      'prefix-prompt-lag',
      'peft-forgetting',
    ]);
    for (const c of Object.values(claimsFor([]))) {
      expect(c.verdict).toBe('not-measured');
      expect(c.threshold.length).toBeGreaterThan(20);
      expect(c.reasoning.length).toBeGreaterThan(10);
    }
  });

  it('trainable shares: supported inside the range, not supported outside', () => {
    const inRange = claimsFor([{ method: 'lora', m: { trainablePercent: 0.5 } }, { method: 'prompt', m: { trainablePercent: 0.05 } }, { method: 'prefix', m: { trainablePercent: 0.09 } }]);
    expect(inRange['lora-trainable-share'].verdict).toBe('supported');
    expect(inRange['prompt-trainable-share'].verdict).toBe('supported');
    expect(inRange['prefix-trainable-share'].verdict).toBe('supported');
    const out = claimsFor([{ method: 'lora', m: { trainablePercent: 0.5 } }, { method: 'lora', hp: { r: 64 }, m: { trainablePercent: 3.2 } }, { method: 'prompt', m: { trainablePercent: 0.005 } }]);
    expect(out['lora-trainable-share'].verdict).toBe('not-supported');
    expect(out['lora-trainable-share'].reasoning).toMatch(/1 of 2 trials fall outside/);
    expect(out['lora-trainable-share'].measured.find((x) => x.label === 'max trainable share')!.value).toBe(3.2);
    expect(out['prompt-trainable-share'].verdict).toBe('not-supported');
    expect(out['prefix-trainable-share'].verdict).toBe('not-measured');
  });

  it('merged LoRA latency: within 5 % of full is supported, above is not, missing merge is not measured', () => {
    const full = { method: 'full' as const, acc: 0.9, m: { latencyMsBatch1: 10 } };
    expect(claimsFor([full, { method: 'lora', acc: 0.9, m: { latencyMergedMsBatch1: 10.4 } }])['lora-merged-no-latency'].verdict).toBe('supported');
    const slow = claimsFor([full, { method: 'lora', acc: 0.9, m: { latencyMergedMsBatch1: 11 } }])['lora-merged-no-latency'];
    expect(slow.verdict).toBe('not-supported');
    expect(slow.measured.find((x) => x.label === 'merged overhead vs full')!.value).toBeCloseTo(10, 9);
    const noMerge = claimsFor([full, { method: 'lora', acc: 0.9, m: { latencyMsBatch1: 11 } }])['lora-merged-no-latency'];
    expect(noMerge.verdict).toBe('not-measured');
    expect(noMerge.reasoning).toMatch(/merged LoRA latency not measured/);
  });

  it('adapter latency: measured overhead beside the claimed 15 %', () => {
    const full = { method: 'full' as const, acc: 0.9, m: { latencyMsBatch1: 10 } };
    const c = claimsFor([full, { method: 'adapter', acc: 0.9, m: { latencyMsBatch1: 11.5 } }])['adapter-latency'];
    expect(c.verdict).toBe('supported');
    expect(c.measured.find((x) => x.label === 'measured overhead')!.value).toBeCloseTo(15, 9);
    expect(c.measured.find((x) => x.label === 'claimed overhead')!.value).toBe(15);
    expect(claimsFor([full, { method: 'adapter', acc: 0.9, m: { latencyMsBatch1: 10.2 } }])['adapter-latency'].verdict).toBe('not-supported');
    expect(claimsFor([{ method: 'adapter', acc: 0.9, m: { latencyMsBatch1: 10.2 } }])['adapter-latency'].verdict).toBe('not-measured');
  });

  it('merged LoRA latency: the same-trial merged/base ratio decides, with its spread, ignoring a full fine-tuning trial timed on a slower minute', () => {
    // The case: full fine-tuning timed on a slow minute makes merged LoRA look −46 % across trials.
    const full = { method: 'full' as const, acc: 0.9, m: { latencyMsBatch1: 20 } };
    const lora = (ratio: number) => ({ method: 'lora' as const, acc: 0.9, m: { latencyMsBatch1: 12, latencyMergedMsBatch1: 10.8, latencyRatioBatch1: 1.2, latencyMergedRatioBatch1: ratio, latencyMergedRatioBatch1Q1: ratio - 0.02, latencyMergedRatioBatch1Q3: ratio + 0.03 } });
    const ok = claimsFor([full, lora(1.01)])['lora-merged-no-latency'];
    expect(ok.verdict).toBe('supported');
    expect(ok.threshold).toMatch(/same trial/);
    expect(ok.reasoning).toContain('+1.00 % against the base model in the same trial, inter-quartile range -1.00 % to +4.00 %');
    expect(ok.measured.find((x) => x.label === 'merged overhead vs base (same trial, median)')!.value).toBeCloseTo(1, 9);
    expect(ok.measured.find((x) => x.label === 'unmerged overhead vs base (same trial, median)')!.value).toBeCloseTo(20, 9);
    expect(ok.measured.some((x) => x.label.includes('vs full'))).toBe(false);
    expect(claimsFor([full, lora(1.08)])['lora-merged-no-latency'].verdict).toBe('not-supported');
    // Without ratios (older trials): today's comparison, labelled as the fallback.
    const old = claimsFor([{ method: 'full', acc: 0.9, m: { latencyMsBatch1: 10 } }, { method: 'lora', acc: 0.9, m: { latencyMergedMsBatch1: 10.4 } }])['lora-merged-no-latency'];
    expect(old.verdict).toBe('supported');
    expect(old.threshold).toMatch(/fallback for trials without same-trial ratios/);
    expect(old.reasoning).toMatch(/timed in different trials/);
  });

  it('adapter latency: the same-trial adapted/base ratio beside the claimed 15 %', () => {
    const c = claimsFor([{ method: 'adapter', acc: 0.9, m: { latencyMsBatch1: 11.5, latencyRatioBatch1: 1.15, latencyRatioBatch1Q1: 1.12, latencyRatioBatch1Q3: 1.19 } }])['adapter-latency'];
    expect(c.verdict).toBe('supported'); // no full fine-tuning trial needed: the base is timed in the same trial
    expect(c.measured.find((x) => x.label === 'adapter overhead vs base (same trial, median)')!.value).toBeCloseTo(15, 9);
    expect(c.measured.find((x) => x.label === 'adapter overhead, Q1')!.value).toBeCloseTo(12, 9);
    expect(c.reasoning).toContain('+15.0 % against the base model in the same trial, inter-quartile range +12.0 % to +19.0 %');
    expect(claimsFor([{ method: 'adapter', acc: 0.9, m: { latencyRatioBatch1: 1.03 } }])['adapter-latency'].verdict).toBe('not-supported');
  });

  it('forgetting: supported when every PEFT method forgets less than full fine-tuning', () => {
    const full = { method: 'full' as const, acc: 0.9, m: { forgettingLoss: 10.1 } };
    const good = claimsFor([full, { method: 'lora', acc: 0.9, m: { forgettingLoss: 0.5 } }, { method: 'prompt', acc: 0.8, m: { forgettingLoss: 0 } }])['peft-forgetting'];
    expect(good.verdict).toBe('supported');
    expect(good.measured.map((x) => x.label)).toEqual(['full fine-tuning forgetting', 'LoRA forgetting', 'Prompt tuning forgetting']);
    expect(good.reasoning).toMatch(/LoRA's 0\.500/);
    const bad = claimsFor([full, { method: 'adapter', acc: 0.9, m: { forgettingLoss: 11 } }])['peft-forgetting'];
    expect(bad.verdict).toBe('not-supported');
    expect(bad.reasoning).toMatch(/Adapter/);
    expect(claimsFor([{ method: 'lora', acc: 0.9, m: { forgettingLoss: 0.5 } }])['peft-forgetting'].verdict).toBe('not-measured');
  });

  it('memory and cost: every PEFT method must clear the bar', () => {
    const full = { method: 'full' as const, acc: 0.9, m: { peakBytes: 1000, wallTimeS: 100 } };
    const good = claimsFor([full, { method: 'lora', acc: 0.9, m: { peakBytes: 300, wallTimeS: 60 } }, { method: 'prompt', acc: 0.9, m: { peakBytes: 100, wallTimeS: 50 } }]);
    expect(good['peft-memory'].verdict).toBe('supported');
    expect(good['peft-training-cost'].verdict).toBe('supported');
    const bad = claimsFor([full, { method: 'lora', acc: 0.9, m: { peakBytes: 300, wallTimeS: 60 } }, { method: 'adapter', acc: 0.9, m: { peakBytes: 500, wallTimeS: 120 } }]);
    expect(bad['peft-memory'].verdict).toBe('not-supported');
    expect(bad['peft-memory'].reasoning).toMatch(/Adapter cuts 50\.0 %/);
    expect(bad['peft-training-cost'].verdict).toBe('not-supported');
    expect(bad['peft-training-cost'].reasoning).toMatch(/Adapter/);
  });

  it('quality: absolute tolerance for accuracy, relative for perplexity', () => {
    expect(claimsFor([{ method: 'full', acc: 0.9 }, { method: 'lora', acc: 0.892 }])['peft-full-quality'].verdict).toBe('supported');
    const far = claimsFor([{ method: 'full', acc: 0.9 }, { method: 'lora', acc: 0.85 }])['peft-full-quality'];
    expect(far.verdict).toBe('not-supported');
    expect(far.threshold).toMatch(/within 0\.010 \(absolute\)/);
    const ppl = claimsFor([{ method: 'full', acc: 40 }, { method: 'lora', acc: 41.5 }], 'perplexity', 'minimize')['peft-full-quality'];
    expect(ppl.verdict).toBe('supported');
    expect(ppl.threshold).toMatch(/5 % \(relative/);
    expect(claimsFor([{ method: 'full', acc: 40 }, { method: 'lora', acc: 43 }], 'perplexity', 'minimize')['peft-full-quality'].verdict).toBe('not-supported');
  });

  it('prefix/prompt lag: judged on this task only, and says so', () => {
    const lag = claimsFor([{ method: 'lora', acc: 0.9 }, { method: 'prefix', acc: 0.8 }, { method: 'prompt', acc: 0.7 }])['prefix-prompt-lag'];
    expect(lag.verdict).toBe('supported');
    expect(lag.threshold).toMatch(/one task \(spam\)/);
    const noLag = claimsFor([{ method: 'lora', acc: 0.9 }, { method: 'prefix', acc: 0.899 }, { method: 'prompt', acc: 0.7 }])['prefix-prompt-lag'];
    expect(noLag.verdict).toBe('not-supported');
    expect(claimsFor([{ method: 'prefix', acc: 0.8 }])['prefix-prompt-lag'].verdict).toBe('not-measured');
  });
});
