import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, normalizeHfConfig } from '../registry.js';
import { attachPeft } from '../../peft/base.js';
import { createAdapterAttachment } from '../../peft/adapter/layer.js';
import { createPrefixAttachment } from '../../peft/prefix/layer.js';
import { trainTrial } from '../../train/train-trial.js';
import { withSeededMathRandom } from '../../util/rng.js';
import type { HeadKind, PeftAttachment, TransformerModel } from '../../types.js';
import '../../peft/full/index.js';
import '../../peft/lora/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CONFIGS = {
  gpt2: { model_type: 'gpt2', vocab_size: 37, n_positions: 32, n_embd: 16, n_layer: 3, n_head: 2, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 },
  llama: { model_type: 'llama', vocab_size: 37, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32 },
  bert: { model_type: 'bert', vocab_size: 37, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 2, max_position_embeddings: 32, type_vocab_size: 2, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 },
};
const ATTACH: Record<string, (m: TransformerModel) => PeftAttachment> = {
  full: (m) => attachPeft(m, 'full', {}),
  lora: (m) => attachPeft(m, 'lora', { r: 2, alpha: 4 }),
  adapter: (m) => createAdapterAttachment(m, { placement: 'houlsby', reductionFactor: 4, upInitStd: 0.02 }),
  prefix: (m) => createPrefixAttachment(m, { numVirtualTokens: 3 }),
};

async function train(family: keyof typeof CONFIGS, method: string, checkpointing: boolean, config: Record<string, unknown> = {}) {
  const task: HeadKind = family === 'bert' ? 'sequence-classification' : 'causal-lm';
  const model = createModel({ ...normalizeHfConfig({ ...CONFIGS[family], ...config }), numLabels: 3 }, task, 2);
  const attachment = withSeededMathRandom(4, () => ATTACH[method](model));
  model.hooks = attachment.hooks;
  const data = Array.from({ length: 8 }, (_, i) => ({ inputIds: Array.from({ length: 5 + (i % 4) }, (_, t) => (i * 5 + t * 3) % 37), label: i % 3 }));
  let peak = 0;
  const r = await trainTrial({
    model, attachment, task, metric: task === 'causal-lm' ? 'perplexity' : 'accuracy', trainData: data, lr: 1e-2, batchSize: 4,
    maxSteps: 4, seed: 3, latency: false, gradientCheckpointing: checkpointing,
  });
  peak = r.measurements.peakBytes - r.measurements.startBytes;
  const weights = [...attachment.trainable.values()].map((t) => Float32Array.from(t.dataSync()));
  expect(model.gradientCheckpointing).toBe(false); // restored after training
  attachment.dispose();
  model.dispose();
  return { losses: r.losses, weights, peak };
}

function close(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

describe('gradient checkpointing', { timeout: 60_000 }, () => {
  for (const [family, method] of [['gpt2', 'full'], ['gpt2', 'lora'], ['gpt2', 'adapter'], ['gpt2', 'prefix'], ['llama', 'lora'], ['bert', 'full']] as const) {
    it(`${family} ${method}: the same losses and weights as without it`, async () => {
      const plain = await train(family, method, false);
      const ckpt = await train(family, method, true);
      ckpt.losses.forEach((l, i) => expect(l).toBeCloseTo(plain.losses[i], 5));
      ckpt.weights.forEach((w, i) => expect(close(w, plain.weights[i])).toBeLessThan(1e-5));
    });
  }

  it('recomputes with the same dropout masks: training with dropout still converges, and it holds fewer tensor bytes', async () => {
    const drop = { resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1, n_layer: 4, n_positions: 64 };
    const ckpt = await train('gpt2', 'full', true, drop);
    const plain = await train('gpt2', 'full', false, drop);
    expect(ckpt.losses.every(Number.isFinite)).toBe(true);
    expect(ckpt.losses[3]).toBeLessThan(ckpt.losses[0]);
    expect(ckpt.peak).toBeLessThan(plain.peak);
  });
});
