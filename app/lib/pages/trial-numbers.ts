// Reading the numbers of a trial's `summary` and `measurements` JSON. The worker
// writes the engine's names; the report package uses its own: accept both, so a
// page never shows a blank where a number exists (and never invents one).
import type { Objective } from './chart-types';

type Json = Record<string, unknown>;

/** Flattens nested objects one level deep with dotted keys ({latency: {batch1Ms}} → latency.batch1Ms). */
export function flatNumbers(obj: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!obj || typeof obj !== 'object') return out;
  for (const [k, v] of Object.entries(obj as Json)) {
    if (typeof v === 'number') out[k] = v;
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Json)) if (typeof v2 === 'number') out[`${k}.${k2}`] = v2;
    }
  }
  return out;
}

function first(m: Record<string, number>, keys: string[]): number | null {
  for (const k of keys) if (typeof m[k] === 'number' && Number.isFinite(m[k])) return m[k];
  return null;
}

export interface TrialCosts {
  trainableParams: number | null;
  totalParams: number | null;
  /** In percent (0–100). */
  trainablePercent: number | null;
  peakBytes: number | null;
  /** TensorFlow's allocator peak over its allocations of 256 KiB or more (native TensorFlow + kernels only). */
  peakAllocatorBytes: number | null;
  /** The worker's peak RSS during the trial (at least any earlier trial's in that process). */
  peakRssBytes: number | null;
  tokensPerSec: number | null;
  latencyMsBatch1: number | null;
  latencyMergedMsBatch1: number | null;
  storedBytes: number | null;
  wallTimeS: number | null;
  /** Same-trial latency overheads (median per-round ratio to the base model timed interleaved): adapted, merged. */
  latencyRatioBatch1: number | null;
  latencyMergedRatioBatch1: number | null;
  /** Trained minus base causal-LM loss on held-out general text (nats/token). */
  forgettingLoss: number | null;
}

export function trialCosts(measurements: unknown): TrialCosts {
  const m = flatNumbers(measurements);
  const trainableParams = first(m, ['trainableParams']);
  const totalParams = first(m, ['totalParams']);
  let trainablePercent = first(m, ['trainablePercent']);
  if (trainablePercent === null) {
    const share = first(m, ['trainableShare']);
    if (share !== null) trainablePercent = share * 100;
    else if (trainableParams !== null && totalParams) trainablePercent = (trainableParams / totalParams) * 100;
  }
  const wallMs = first(m, ['wallTimeMs']);
  return {
    trainableParams,
    totalParams,
    trainablePercent,
    peakBytes: first(m, ['peakBytes']),
    peakAllocatorBytes: first(m, ['peakAllocatorBytes']),
    peakRssBytes: first(m, ['peakRssBytes']),
    tokensPerSec: first(m, ['tokensPerSec']),
    latencyMsBatch1: first(m, ['latencyMsBatch1', 'latency.batch1Ms']),
    latencyMergedMsBatch1: first(m, ['latencyMergedMsBatch1', 'latency.mergedBatch1Ms']),
    storedBytes: first(m, ['storedBytes']),
    wallTimeS: first(m, ['wallTimeS']) ?? (wallMs !== null ? wallMs / 1000 : null),
    latencyRatioBatch1: first(m, ['latencyRatioBatch1']),
    latencyMergedRatioBatch1: first(m, ['latencyMergedRatioBatch1']),
    forgettingLoss: first(m, ['forgettingLoss', 'forgetting.delta']),
  };
}

/**
 * The charts' objective: the sweep's (`getSweepObjective` of @peft-lab/db: the spec's, else the
 * task's metric) and the summary key its trials actually wrote — `eval_<metric>` as the worker
 * writes it, or the bare / `eval/` / `final_` name of older or imported summaries.
 * @param sampleSummaries a few completed trials' summaries (none yet: the worker's key)
 */
export function chartObjective(o: { metric: string; direction: 'maximize' | 'minimize'; summaryKey: string }, sampleSummaries: unknown[]): Objective {
  const keys = new Set<string>();
  for (const s of sampleSummaries) for (const k of Object.keys(flatNumbers(s))) keys.add(k);
  const key = keys.size === 0 ? o.summaryKey : [o.summaryKey, o.metric, `eval/${o.metric}`, `final_${o.metric}`].find((k) => keys.has(k)) ?? null;
  return { metric: o.metric, key, direction: o.direction };
}

export function objectiveValue(summary: unknown, objective: Objective): number | null {
  if (!objective.key) return null;
  const v = flatNumbers(summary)[objective.key];
  return typeof v === 'number' && !Number.isNaN(v) ? v : null;
}
