import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { attachPeft, languageModelLoss, loadHfModel, measureForgetting, selectBackend, trainTrial, type TokenExample } from '@peft-lab/engine';
import { pretrainCorpus } from '../pretrain-corpus.js';
import { BUILTIN_MODEL_DIR, loadBuiltinTokenizer } from '../tokenizer/builtin-tokenizer.js';
import { forgettingSample } from './forgetting-sample.js';
import { isHeldOutDocument } from './packed-chunks.js';

beforeAll(async () => {
  await selectBackend();
});

describe('forgettingSample', () => {
  it('is 32 × 64 tokens of exactly the documents `peft-lab pretrain` held out, the same on every call', () => {
    const tok = loadBuiltinTokenizer();
    const s = forgettingSample(tok);
    expect(s.sequences).toHaveLength(32);
    expect(s.sequences.every((r) => r.length === 64)).toBe(true);
    expect(forgettingSample(tok)).toBe(s);
    const record = JSON.parse(readFileSync(join(BUILTIN_MODEL_DIR, 'pretraining-record.json'), 'utf8'));
    const heldOut = pretrainCorpus().filter((d) => isHeldOutDocument(d.id, 0.03)).map((d) => d.id);
    expect(heldOut).toEqual(record.corpus.heldOutDocuments);
  });
});

describe('forgetting on the built-in model', { timeout: 180_000 }, () => {
  const tok = loadBuiltinTokenizer();
  const sample = () => ({ sequences: forgettingSample(tok).sequences });
  // A narrow corpus far from Brown / SOTU prose: fine-tuning on it moves the model away from general text.
  const narrow: TokenExample[] = Array.from({ length: 64 }, (_, i) => ({
    inputIds: tok.encode(`item ${i % 7}: buy cheap pills now, click here, free offer ${i % 5}! `.repeat(3)).slice(0, 32),
  }));
  const train = async (method: 'lora' | 'full', lr: number) => {
    const { model } = loadHfModel(BUILTIN_MODEL_DIR, { head: 'causal-lm' });
    const attachment = attachPeft(model, method, method === 'lora' ? { r: 8, seed: 1 } : {});
    try {
      const r = await trainTrial({ model, attachment, task: 'causal-lm', metric: 'perplexity', trainData: narrow, lr, batchSize: 8, maxSteps: 16, seed: 1, latency: false, forgetting: sample() });
      return r.measurements.forgetting!;
    } finally {
      attachment.dispose();
      model.dispose();
    }
  };

  it('base against base is exactly 0; a LoRA trial forgets a finite amount; full fine-tuning at a large lr forgets more', async () => {
    const { model } = loadHfModel(BUILTIN_MODEL_DIR, { head: 'causal-lm' });
    const base = await languageModelLoss(model, sample().sequences);
    expect(base).toBeGreaterThan(2); // held-out perplexity ≈ 140: loss ≈ 4.9
    expect(base).toBeLessThan(7);
    expect(await measureForgetting(model, sample(), base)).toMatchObject({ delta: 0, baseLoss: base, adaptedLoss: base });
    model.dispose();

    const lora = await train('lora', 1e-2);
    const full = await train('full', 1e-2);
    expect(lora.delta).not.toBeNull();
    expect(full.delta).not.toBeNull();
    if (lora.delta === null || full.delta === null) return;
    expect(Number.isFinite(lora.delta)).toBe(true);
    expect(lora.baseLoss).toBe(base);
    expect(full.baseLoss).toBe(base); // measured before training, when the weights were still the base's
    expect(full.delta).toBeGreaterThan(lora.delta);
    expect(full.delta).toBeGreaterThan(0.1);
    console.log(`built-in model, 16 steps at lr 1e-2 on spam-like text: forgetting LoRA ${lora.delta.toFixed(4)}, full ${full.delta.toFixed(4)} nats/token (base ${base!.toFixed(4)})`);
  });

  it('a classification trial is scored through the tied LM head with the adapter applied', async () => {
    const { model } = loadHfModel(BUILTIN_MODEL_DIR, { head: 'sequence-classification', numLabels: 2, seed: 1 });
    const attachment = attachPeft(model, 'lora', { r: 8, seed: 1 });
    const data = narrow.map((x, i) => ({ ...x, label: i % 2 }));
    try {
      const r = await trainTrial({ model, attachment, task: 'sequence-classification', metric: 'accuracy', trainData: data, lr: 1e-2, batchSize: 8, maxSteps: 4, seed: 1, latency: false, forgetting: sample() });
      const f = r.measurements.forgetting!;
      expect(f.delta).not.toBeNull();
      if (f.delta !== null) expect(Number.isFinite(f.delta)).toBe(true);
    } finally {
      attachment.dispose();
      model.dispose();
    }
  });
});
