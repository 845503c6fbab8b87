import * as tf from '@tensorflow/tfjs';
import type { Batch, HeadKind, TransformerModel } from '../types.js';
import { collate, disposeBatch, IGNORE_INDEX, type TokenExample } from './collate.js';
import { taskLossSum } from './losses.js';

export type MetricName = 'accuracy' | 'macro-f1' | 'token-accuracy' | 'perplexity';

export interface EvalMetrics {
  /** Mean cross-entropy over the evaluated labels. */
  loss: number;
  accuracy?: number;
  macroF1?: number;
  tokenAccuracy?: number;
  perplexity?: number;
  /** Number of labelled positions (examples or tokens) evaluated. */
  count: number;
}

/** The metric value named by `metric`, and whether larger is better. */
export function metricValue(m: EvalMetrics, metric: MetricName): { value: number; higherIsBetter: boolean } {
  switch (metric) {
    case 'accuracy': return { value: m.accuracy ?? m.tokenAccuracy ?? NaN, higherIsBetter: true };
    case 'macro-f1': return { value: m.macroF1 ?? NaN, higherIsBetter: true };
    case 'token-accuracy': return { value: m.tokenAccuracy ?? m.accuracy ?? NaN, higherIsBetter: true };
    case 'perplexity': return { value: m.perplexity ?? Math.exp(m.loss), higherIsBetter: false };
  }
}

/** Macro-averaged F1 over the classes that occur in labels or predictions. */
export function macroF1(preds: ArrayLike<number>, labels: ArrayLike<number>): number {
  const classes = new Set<number>();
  const tp = new Map<number, number>(), fp = new Map<number, number>(), fn = new Map<number, number>();
  const inc = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0; i < labels.length; i++) {
    const p = preds[i], l = labels[i];
    if (l === IGNORE_INDEX) continue;
    classes.add(p); classes.add(l);
    if (p === l) inc(tp, l); else { inc(fp, p); inc(fn, l); }
  }
  if (classes.size === 0) return NaN;
  let sum = 0;
  for (const c of classes) {
    const t = tp.get(c) ?? 0, denom = 2 * t + (fp.get(c) ?? 0) + (fn.get(c) ?? 0);
    sum += denom === 0 ? 0 : (2 * t) / denom;
  }
  return sum / classes.size;
}

/**
 * `evaluate` over plain examples: collates them `batchSize` at a time (the caller's
 * padTokenId), evaluates, and disposes the batches.
 */
export async function evaluateExamples(
  model: TransformerModel, task: HeadKind, examples: TokenExample[], o: { batchSize: number; padTokenId?: number },
): Promise<EvalMetrics> {
  const batches: Batch[] = [];
  for (let i = 0; i < examples.length; i += o.batchSize) batches.push(collate(examples.slice(i, i + o.batchSize), { task, padTokenId: o.padTokenId }));
  try {
    return await evaluate(model, task, batches);
  } finally {
    batches.forEach(disposeBatch);
  }
}

/**
 * Runs the model (training: false) over `batches` and pools loss and the
 * head's metrics. Batches are not disposed here (the caller owns them).
 */
export async function evaluate(model: TransformerModel, task: HeadKind, batches: Iterable<Batch>): Promise<EvalMetrics> {
  let lossSum = 0, count = 0, correct = 0;
  const allPreds: number[] = [], allLabels: number[] = [];
  for (const batch of batches) {
    const [stats, preds, labels] = tf.tidy(() => {
      const logits = model.forward(batch, { training: false });
      const { sum, count: n } = taskLossSum(task, logits, batch.labels);
      let p = logits.argMax(-1);
      let l = batch.labels.toInt();
      if (task === 'causal-lm') {
        const [B, S] = l.shape as [number, number];
        p = p.slice([0, 0], [B, S - 1]);
        l = l.slice([0, 1], [B, S - 1]);
      }
      return [tf.stack([sum, n]), p.toInt(), l] as const;
    });
    const [s, pArr, lArr] = await Promise.all([stats.data(), preds.data(), labels.data()]);
    tf.dispose([stats, preds, labels]);
    lossSum += s[0];
    count += s[1];
    for (let i = 0; i < lArr.length; i++) {
      if (lArr[i] === IGNORE_INDEX) continue;
      if (pArr[i] === lArr[i]) correct++;
      allPreds.push(pArr[i]);
      allLabels.push(lArr[i]);
    }
  }
  const loss = count > 0 ? lossSum / count : NaN;
  const acc = allLabels.length > 0 ? correct / allLabels.length : NaN;
  const out: EvalMetrics = { loss, count };
  if (task === 'sequence-classification') { out.accuracy = acc; out.macroF1 = macroF1(allPreds, allLabels); }
  else if (task === 'token-classification') { out.tokenAccuracy = acc; out.macroF1 = macroF1(allPreds, allLabels); }
  else { out.perplexity = Math.exp(loss); out.tokenAccuracy = acc; }
  return out;
}
