import * as tf from '@tensorflow/tfjs';
import type { ModelInputs, PeftAttachment, TransformerModel } from '../types.js';
import { yieldToEventLoop } from '../util/event-loop.js';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Quantile `q` in [0, 1] with linear interpolation between order statistics (numpy's default). */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return lo + 1 < s.length ? s[lo] + (s[lo + 1] - s[lo]) * (pos - lo) : s[lo];
}

export interface LatencyOptions {
  batchSize: number;
  seqLen: number;
  warmup?: number;
  runs?: number;
}

/** Fixed token ids [B, S] (and mask, BERT's token types) for a timed forward pass; dispose the tensors after. */
function timingInputs(model: TransformerModel, B: number, S: number): ModelInputs & { tensors: tf.Tensor[] } {
  const V = model.config.vocabSize;
  const ids = tf.tensor2d(Int32Array.from({ length: B * S }, (_, i) => (i * 7 + 3) % V), [B, S], 'int32');
  const mask = tf.ones([B, S], 'int32') as tf.Tensor2D;
  const types = model.config.family === 'bert' ? (tf.zeros([B, S], 'int32') as tf.Tensor2D) : undefined;
  return { inputIds: ids, attentionMask: mask, ...(types ? { tokenTypeIds: types } : {}), tensors: [ids, mask, ...(types ? [types] : [])] };
}

/** One inference forward pass, synced by reading the output. */
async function forwardOnce(model: TransformerModel, inputs: ModelInputs): Promise<void> {
  const out = tf.tidy(() => model.forward(inputs, { training: false }));
  try {
    await out.data();
  } finally {
    out.dispose();
  }
}

/** Median wall time (ms) of one inference forward pass, synced by reading the output. */
export async function measureForwardLatency(model: TransformerModel, opts: LatencyOptions): Promise<number> {
  const inputs = timingInputs(model, opts.batchSize, opts.seqLen);
  const once = async () => {
    const t0 = performance.now();
    await forwardOnce(model, inputs);
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < (opts.warmup ?? 2); i++) await once();
    const times: number[] = [];
    for (let i = 0; i < (opts.runs ?? 5); i++) times.push(await once());
    return median(times);
  } finally {
    tf.dispose(inputs.tensors);
  }
}

/** One model state timed by `interleavedTimings`: `enter` switches the model to it (untimed), `leave` back. */
export interface TimedVariant<V extends string = string> {
  name: V;
  /** Run each workload once untimed after `enter` (e.g. the first pass over freshly merged weights). */
  settle?: boolean;
  enter?(): void;
  leave?(): void;
}

/** Per variant, per workload: the wall time (ms) of each timed round (its fastest repeat), in round order. */
export type InterleavedTimes<V extends string, W extends string> = Record<V, Record<W, number[]>>;

/**
 * Times every workload under every variant in rounds — A, B, C, A, B, C… — so each variant
 * is timed in the same seconds as the others: this VM's speed drifts minute to minute, and
 * the overhead ratios compare these numbers. `warmup` rounds run first and are not kept.
 * Each variant is entered once per round (a merge per round, not per workload). A variant
 * with `settle` runs each workload once untimed after entering (merged weights are new tensors
 * each round, whose first pass may pay for their allocation). Then each workload runs `repeats`
 * times (default 2) and the round keeps its fastest: one forward of a small model is a few ms,
 * and another process's burst lands on single passes. `now` is the clock (a fake one in tests).
 *
 * @example interleavedTimings([{ name: 'base', enter: () => { model.hooks = null }, leave: () => { model.hooks = hooks } }, { name: 'adapted' }], { b1: () => forwardOnce(model, x) }, { rounds: 5 })
 */
export async function interleavedTimings<V extends string, W extends string>(
  variants: readonly TimedVariant<V>[],
  workloads: Record<W, () => Promise<void>>,
  opts: { rounds: number; warmup?: number; repeats?: number; now?: () => number },
): Promise<InterleavedTimes<V, W>> {
  const now = opts.now ?? (() => performance.now());
  const names = Object.keys(workloads) as W[];
  const times = Object.fromEntries(variants.map((v) => [v.name, Object.fromEntries(names.map((w) => [w, [] as number[]]))])) as InterleavedTimes<V, W>;
  const warmup = opts.warmup ?? 1;
  const repeats = Math.max(1, opts.repeats ?? 2);
  for (let round = 0; round < warmup + opts.rounds; round++) {
    for (const v of variants) {
      v.enter?.();
      try {
        for (const w of names) {
          if (v.settle) await workloads[w]();
          let fastest = Infinity;
          for (let i = 0; i < repeats; i++) {
            const t0 = now();
            await workloads[w]();
            fastest = Math.min(fastest, now() - t0);
          }
          if (round >= warmup) times[v.name][w].push(fastest);
        }
      } finally {
        v.leave?.();
      }
      // Between variants, outside any timed pass: the caller's timers (a lease heartbeat) run.
      await yieldToEventLoop();
    }
  }
  return times;
}

/** A latency ratio over the rounds of one trial: the median per-round ratio and its inter-quartile range. */
export interface LatencyRatio {
  median: number;
  q1: number;
  q3: number;
}

/** Per-round ratios `of[i] / to[i]` (same round, so the same minute) summarised as median and quartiles. */
export function perRoundRatio(of: number[], to: number[]): LatencyRatio {
  const r = of.map((x, i) => x / to[i]);
  return { median: median(r), q1: quantile(r, 0.25), q3: quantile(r, 0.75) };
}

export interface InferenceLatency {
  seqLen: number;
  /** Timed rounds per variant (after one warmup round). */
  rounds: number;
  /** The model as trained (attachment active, unmerged); medians over the rounds. */
  batch1Ms: number;
  batch8Ms: number;
  /** Attachment merged into the base weights (LoRA/DoRA, IA3), when the method can merge. */
  mergedBatch1Ms?: number;
  mergedBatch8Ms?: number;
  /** The model with no hooks at all, for the "adds no latency" comparison. */
  baseBatch1Ms: number;
  baseBatch8Ms: number;
  /** Same-trial overheads: adapted / base and merged / base, per round, at batch 1 and 8. */
  ratios: {
    adaptedBatch1: LatencyRatio;
    adaptedBatch8: LatencyRatio;
    mergedBatch1?: LatencyRatio;
    mergedBatch8?: LatencyRatio;
  };
}

/**
 * Inference latency at batch 1 and 8 of the base model (no hooks), the model as trained
 * (unmerged) and, when the attachment can merge, merged (unmerged again after each round),
 * timed interleaved by `interleavedTimings`. Medians per variant, and the per-round overhead
 * ratios against the base with their quartiles. The hooks and weights are as before on return.
 */
export async function measureInferenceLatency(
  model: TransformerModel,
  attachment: PeftAttachment | null,
  opts: { seqLen: number; warmup?: number; runs?: number },
): Promise<InferenceLatency> {
  const hooks = model.hooks;
  const x1 = timingInputs(model, 1, opts.seqLen);
  const x8 = timingInputs(model, 8, opts.seqLen);
  const mergeable = !!(attachment?.merge && attachment.unmerge);
  type Variant = 'base' | 'adapted' | 'merged';
  const variants: TimedVariant<Variant>[] = [
    { name: 'base', enter: () => { model.hooks = null; }, leave: () => { model.hooks = hooks; } },
    { name: 'adapted' },
    ...(mergeable ? [{ name: 'merged' as const, settle: true, enter: () => attachment!.merge!(), leave: () => attachment!.unmerge!() }] : []),
  ];
  try {
    const rounds = opts.runs ?? 5;
    const t = await interleavedTimings(variants, { b1: () => forwardOnce(model, x1), b8: () => forwardOnce(model, x8) }, { rounds, warmup: opts.warmup ?? 1 });
    const out: InferenceLatency = {
      seqLen: opts.seqLen,
      rounds,
      batch1Ms: median(t.adapted.b1),
      batch8Ms: median(t.adapted.b8),
      baseBatch1Ms: median(t.base.b1),
      baseBatch8Ms: median(t.base.b8),
      ratios: { adaptedBatch1: perRoundRatio(t.adapted.b1, t.base.b1), adaptedBatch8: perRoundRatio(t.adapted.b8, t.base.b8) },
    };
    if (mergeable) {
      const m = (t as InterleavedTimes<'merged', 'b1' | 'b8'>).merged;
      out.mergedBatch1Ms = median(m.b1);
      out.mergedBatch8Ms = median(m.b8);
      out.ratios.mergedBatch1 = perRoundRatio(m.b1, t.base.b1);
      out.ratios.mergedBatch8 = perRoundRatio(m.b8, t.base.b8);
    }
    return out;
  } finally {
    model.hooks = hooks;
    tf.dispose([...x1.tensors, ...x8.tensors]);
  }
}
