import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { leanVariableGrads } from './lean-grads.js';
import { createModel, normalizeHfConfig } from '../models/registry.js';
import { attachPeft } from '../peft/base.js';
import { createAdapterAttachment } from '../peft/adapter/layer.js';
import { createPrefixAttachment } from '../peft/prefix/layer.js';
import { createPromptAttachment } from '../peft/prompt/layer.js';
import { collate } from './collate.js';
import { trainingLoss } from './losses.js';
import { withSeededMathRandom } from '../util/rng.js';
import type { HeadKind, PeftAttachment, TransformerModel } from '../types.js';
import '../peft/full/index.js';
import '../peft/lora/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CONFIGS = {
  gpt2: { model_type: 'gpt2', vocab_size: 41, n_positions: 32, n_embd: 16, n_layer: 2, n_head: 2, resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1 },
  llama: { model_type: 'llama', vocab_size: 41, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32 },
  bert: { model_type: 'bert', vocab_size: 41, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 2, max_position_embeddings: 32, type_vocab_size: 2 },
};

const ATTACH: Record<string, (m: TransformerModel) => PeftAttachment> = {
  full: (m) => attachPeft(m, 'full', {}),
  lora: (m) => attachPeft(m, 'lora', { r: 2, alpha: 4, dropout: 0.1 }),
  adapter: (m) => createAdapterAttachment(m, { placement: 'pfeiffer', reductionFactor: 4, upInitStd: 0.02 }),
  prefix: (m) => createPrefixAttachment(m, { numVirtualTokens: 3 }),
  prompt: (m) => createPromptAttachment(m, { numVirtualTokens: 3 }),
};

/** Gradients of one training loss (dropout seeded alike) by tf.variableGrads or leanVariableGrads. */
function gradients(family: keyof typeof CONFIGS, method: string, lean: boolean): { loss: number; grads: Map<string, Float32Array>; leaked: number } {
  const task: HeadKind = family === 'bert' ? 'sequence-classification' : 'causal-lm';
  const model = createModel({ ...normalizeHfConfig(CONFIGS[family]), numLabels: 3 }, task, 5);
  const attachment = withSeededMathRandom(3, () => ATTACH[method](model)); // some inits draw from Math.random
  model.hooks = attachment.hooks;
  const vars = [...attachment.trainable.values()];
  vars.forEach((v) => { v.trainable = true; });
  const batch = collate(Array.from({ length: 4 }, (_, i) => ({ inputIds: Array.from({ length: 4 + i }, (_, t) => (i * 7 + t * 3) % 41), label: i % 3 })), { task });
  const before = tf.memory().numTensors;
  const f = () => withSeededMathRandom(9, () => trainingLoss(model, task, batch));
  const { value, grads } = lean ? leanVariableGrads(f, vars) : tf.variableGrads(f, vars);
  const names = new Map(vars.map((v) => [v.name, [...attachment.trainable].find(([, t]) => t === v)![0]]));
  const out = new Map(Object.entries(grads).map(([n, g]) => [names.get(n)!, g.dataSync() as Float32Array]));
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  const leaked = tf.memory().numTensors - before;
  attachment.dispose();
  model.dispose();
  return { loss, grads: out, leaked };
}

describe('leanVariableGrads', () => {
  for (const family of ['gpt2', 'llama', 'bert'] as const) {
    for (const method of Object.keys(ATTACH)) {
      it(`${family} ${method}: the same loss and gradients as tf.variableGrads, nothing leaked`, () => {
        const plain = gradients(family, method, false);
        const lean = gradients(family, method, true);
        expect(lean.loss).toBe(plain.loss);
        expect([...lean.grads.keys()].sort()).toEqual([...plain.grads.keys()].sort());
        for (const [name, g] of plain.grads) expect(lean.grads.get(name), name).toEqual(g);
        expect(lean.leaked).toBe(plain.leaked);
      });
    }
  }

  it('frees saved activations during the backward pass: tensor bytes fall below the forward peak', () => {
    const model = createModel(normalizeHfConfig({ ...CONFIGS.gpt2, n_layer: 4, n_positions: 64, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 }), 'causal-lm', 1);
    const attachment = attachPeft(model, 'lora', { r: 2, alpha: 4 });
    model.hooks = attachment.hooks;
    const vars = [...attachment.trainable.values()];
    vars.forEach((v) => { v.trainable = true; });
    const batch = collate(Array.from({ length: 8 }, (_, i) => ({ inputIds: Array.from({ length: 64 }, (_, t) => (i + t) % 41) })), { task: 'causal-lm' });
    let forwardEnd = 0;
    const samples: number[] = [];
    const { value, grads } = leanVariableGrads(() => {
      const loss = trainingLoss(model, 'causal-lm', batch);
      forwardEnd = tf.memory().numBytes;
      return loss;
    }, vars, () => samples.push(tf.memory().numBytes));
    const base = tf.memory().numBytes;
    expect(samples.length).toBeGreaterThan(2);
    // Near the end of the backward pass most activations are gone (tfjs's own pass holds them all, plus gradients).
    expect(samples[samples.length - 1] - base).toBeLessThan((forwardEnd - base) * 0.5);
    tf.dispose([value, ...Object.values(grads)]);
    attachment.dispose();
    model.dispose();
  });
});
