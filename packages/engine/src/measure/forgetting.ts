/**
 * Forgetting, as Hugging Face peft's method comparison records it: the causal-LM loss of the
 * adapted model on a fixed sample of general text minus the base model's loss on the same
 * sample. Positive = the trial made the model worse at general text.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelHooks, TransformerModel } from '../types.js';
import { maskedCrossEntropySum, nextTokenLabels } from '../train/losses.js';
import { yieldToEventLoop } from '../util/event-loop.js';

/** The fixed sample: token ids, every row the same length (≥ 2). */
export interface ForgettingSampleInput {
  sequences: number[][];
  /** What the text is (recorded with the result). */
  source?: string;
}

export type Forgetting =
  | {
    /** adaptedLoss − baseLoss (nats per token). */
    delta: number;
    baseLoss: number;
    adaptedLoss: number;
    sequences: number;
    seqLen: number;
    source?: string;
  }
  | { delta: null; reason: string };

/** Why `model` cannot be scored as a language model, or null when it can. */
export function noLanguageModelHead(model: TransformerModel): string | null {
  if (model.head === 'causal-lm') return null;
  if (!model.languageModelLogits) return `this ${model.config.family} model has a ${model.head} head and no LM head to score text with`;
  return null;
}

/**
 * Mean next-token cross-entropy (nats per predicted token) of `model` on `sequences`, through
 * `languageModelLogits` (the base LM head, whatever task head the model carries) with the
 * model's current hooks; null when the model holds no LM head (the reason: `noLanguageModelHead`,
 * or the family's own answer). Runs `batchSize` sequences per forward pass so the
 * [batch, seq, vocab] logits stay small.
 *
 * @example await languageModelLoss(model, [[5, 9, 2, 7], [3, 3, 8, 1]]) // ≈ ln(vocab) for an untrained model
 */
export async function languageModelLoss(model: TransformerModel, sequences: number[][], batchSize = 4): Promise<number | null> {
  if (sequences.length === 0) throw new RangeError('languageModelLoss: sequences is empty');
  const seqLen = sequences[0].length;
  if (seqLen < 2 || sequences.some((s) => s.length !== seqLen)) throw new RangeError(`languageModelLoss: every sequence must have the same length ≥ 2 (got ${sequences.map((s) => s.length).join(', ')})`);
  if (noLanguageModelHead(model)) return null;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < sequences.length; i += batchSize) {
    const rows = sequences.slice(i, i + batchSize);
    const part = tf.tidy((): tf.Tensor | undefined => {
      const ids = tf.tensor2d(rows.flat(), [rows.length, seqLen], 'int32');
      const inputs = {
        inputIds: ids,
        attentionMask: tf.onesLike(ids) as tf.Tensor2D,
        ...(model.config.family === 'bert' ? { tokenTypeIds: tf.zerosLike(ids) as tf.Tensor2D } : {}),
      };
      const logits = model.languageModelLogits ? model.languageModelLogits(inputs) : (model.forward(inputs, { training: false }) as tf.Tensor3D);
      if (!logits) return undefined;
      const [B, S, V] = logits.shape;
      const r = maskedCrossEntropySum(logits.reshape([B * S, V]), nextTokenLabels(ids));
      return tf.stack([r.sum, r.count]);
    });
    if (!part) return null;
    try {
      const [s, c] = await part.data();
      sum += s;
      count += c;
    } finally {
      part.dispose();
    }
    await yieldToEventLoop();
  }
  return sum / count;
}

/** `languageModelLoss` with `hooks` installed instead of the model's own (null = the bare base model); restored after. */
export async function languageModelLossWith(model: TransformerModel, hooks: ModelHooks | null, sequences: number[][]): Promise<number | null> {
  const own = model.hooks;
  model.hooks = hooks;
  try {
    return await languageModelLoss(model, sequences);
  } finally {
    model.hooks = own;
  }
}

/**
 * Forgetting from the base model's loss on the sample (measured before training, or with the
 * hooks removed) and the adapted model's (hooks as they are now). Null with the reason where
 * the model has no LM head or a loss is not finite.
 */
export async function measureForgetting(model: TransformerModel, sample: ForgettingSampleInput, baseLoss: number | null): Promise<Forgetting> {
  const reason = noLanguageModelHead(model);
  if (reason) return { delta: null, reason };
  const adaptedLoss = await languageModelLoss(model, sample.sequences);
  if (adaptedLoss === null || baseLoss === null) return { delta: null, reason: `this ${model.config.family} model with a ${model.head} head holds no LM head (only a tied embedding table serves as one)` };
  if (!Number.isFinite(adaptedLoss) || !Number.isFinite(baseLoss)) return { delta: null, reason: `non-finite loss on the sample (base ${baseLoss}, adapted ${adaptedLoss})` };
  return {
    delta: adaptedLoss - baseLoss, baseLoss, adaptedLoss,
    sequences: sample.sequences.length, seqLen: sample.sequences[0].length, ...(sample.source ? { source: sample.source } : {}),
  };
}
