import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadHfModel } from '@peft-lab/engine';
import type { PretrainDocument } from '../pretrain-corpus.js';
import { builtinModelAvailable } from './builtin-model.js';
import { builtinHfConfig, BUILTIN_MODEL_SIZE } from './builtin-config.js';
import { chunkTokens, packCorpus } from './packed-chunks.js';
import { pretrainBuiltinModel } from './pretrain-builtin-model.js';
import { BUILTIN_MODEL_DIR, loadBuiltinTokenizer } from '../tokenizer/builtin-tokenizer.js';

const docs: PretrainDocument[] = Array.from({ length: 30 }, (_, i) => ({
  id: `doc-${i}`,
  source: 'brown',
  text: `The ship sailed north on day ${i}. The crew sang while the wind rose and the sea was calm.`,
}));

describe('packCorpus', () => {
  const encode = (t: string) => [...t].map((c) => c.charCodeAt(0) % 50 + 2);
  const packed = packCorpus(docs, encode, { seqLen: 16, endOfText: 0, heldOutFraction: 0.3 });

  it('cuts full chunks only and appends <|endoftext|> after every document', () => {
    expect(chunkTokens([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4]]);
    expect(packed.train.every((c) => c.length === 16)).toBe(true);
    expect(packed.train.flat().filter((t) => t === 0).length).toBeGreaterThanOrEqual(packed.trainDocuments - 1);
  });

  it('holds out a stable, disjoint slice of documents', () => {
    expect(packed.heldOutDocuments.length).toBeGreaterThan(0);
    expect(packed.trainDocuments + packed.heldOutDocuments.length).toBe(docs.length);
    const again = packCorpus(docs, encode, { seqLen: 16, endOfText: 0, heldOutFraction: 0.3 });
    expect(again.heldOutDocuments).toEqual(packed.heldOutDocuments);
    expect(packed.trainTokens + packed.heldOutTokens).toBe(docs.reduce((n, d) => n + d.text.length + 1, 0));
  });
});

describe('builtin config', () => {
  it('is a GPT-2 config with the built-in tokenizer ids and within 20 MB of weights', () => {
    const c = builtinHfConfig();
    expect(c).toMatchObject({ model_type: 'gpt2', vocab_size: 4096, pad_token_id: 1, eos_token_id: 0, n_positions: BUILTIN_MODEL_SIZE.seqLen });
    const d = BUILTIN_MODEL_SIZE.dModel, L = BUILTIN_MODEL_SIZE.numLayers;
    const params = 4096 * d + BUILTIN_MODEL_SIZE.seqLen * d + L * (12 * d * d + 13 * d) + 2 * d;
    expect(params * 4).toBeLessThan(20 * 1024 * 1024);
  });
});

describe('pretrainBuiltinModel (tiny, cpu)', () => {
  const out = mkdtempSync(join(tmpdir(), 'peft-lab-pretrain-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('trains, lowers held-out perplexity and writes a Hugging Face directory the engine loads', async () => {
    expect(builtinModelAvailable(out)).toBe(false);
    const record = await pretrainBuiltinModel({
      documents: docs, outDir: out, steps: 10, lr: 1e-2, batchSize: 4, backend: 'cpu', seed: 3, evalEvery: 5, maxHeldOutChunks: 6,
      heldOutFraction: 0.3, size: { dModel: 16, numLayers: 1, numHeads: 2, seqLen: 16 }, command: 'test', log: () => {},
    });
    expect(builtinModelAvailable(out)).toBe(true);
    expect(record.training.steps).toBe(10);
    expect(record.heldOutPerplexity.before).toBeGreaterThan(1000); // ≈ uniform over 4,096 tokens
    expect(record.heldOutPerplexity.after).toBeLessThan(record.heldOutPerplexity.before / 2);
    expect(record.lossCurve.length).toBeGreaterThan(0);
    expect(record.backend.name).toBe('cpu');
    const onDisk = JSON.parse(readFileSync(join(out, 'pretraining-record.json'), 'utf8'));
    expect(onDisk.heldOutPerplexity).toEqual(record.heldOutPerplexity);
    expect(existsSync(join(out, 'tokenizer.json'))).toBe(true);
    const { model, tokenizer, config } = loadHfModel(out);
    expect(config.dModel).toBe(16);
    expect(tokenizer!.encode('The ship')).toEqual(tokenizer!.encode('The ship'));
    expect(model.head).toBe('causal-lm');
    model.dispose();
  });

  it("fits steps 'auto' to the time budget so the schedule completes inside it, and refuses it without one", async () => {
    const tiny = { documents: docs, batchSize: 4, backend: 'cpu' as const, seed: 3, evalEvery: 5, maxHeldOutChunks: 6, heldOutFraction: 0.3,
      size: { dModel: 16, numLayers: 1, numHeads: 2, seqLen: 16 }, command: 'test', log: () => {} };
    await expect(pretrainBuiltinModel({ ...tiny, outDir: join(out, 'no-budget'), steps: 'auto' })).rejects.toThrow(/maxMinutes/);
    const record = await pretrainBuiltinModel({ ...tiny, outDir: join(out, 'auto'), steps: 'auto', maxMinutes: 0.05 });
    const fitted = record.training.stepsFittedToBudget!;
    expect(fitted.msPerStep).toBeGreaterThan(0);
    expect(fitted.steps).toBe(record.training.stepsPlanned);
    // The count is what the measured step and evaluation costs allow inside 95 % of the budget.
    const perStepMs = fitted.msPerStep + (fitted.evalSeconds * 1000) / 5;
    const expected = (0.05 * 60_000 * 0.95 - fitted.evalSeconds * 1000) / perStepMs;
    expect(Math.abs(fitted.steps - expected)).toBeLessThan(3); // the record rounds the timings
    expect(fitted.steps).toBeGreaterThan(5);
    expect(record.training.steps).toBeGreaterThan(0);
  });
});

describe('the committed built-in model', () => {
  it('is available and loads through the engine Hugging Face loader with the built-in tokenizer', () => {
    expect(builtinModelAvailable()).toBe(true);
    const { model, tokenizer, config } = loadHfModel(BUILTIN_MODEL_DIR, { head: 'sequence-classification', numLabels: 2 });
    expect(config).toMatchObject({ family: 'gpt2', vocabSize: 4096, dModel: BUILTIN_MODEL_SIZE.dModel, numLayers: BUILTIN_MODEL_SIZE.numLayers });
    expect(tokenizer!.encode('Call me Ishmael.')).toEqual(loadBuiltinTokenizer().encode('Call me Ishmael.'));
    model.dispose();
    const record = JSON.parse(readFileSync(join(BUILTIN_MODEL_DIR, 'pretraining-record.json'), 'utf8'));
    // Continued runs nest their predecessors; the random-init perplexity is the first run's "before".
    let firstRun = record;
    while (firstRun.continuedFrom) firstRun = firstRun.continuedFrom;
    const fromRandom = firstRun.heldOutPerplexity.before;
    expect(fromRandom).toBeGreaterThan(1000);
    expect(record.heldOutPerplexity.after).toBeLessThan(fromRandom / 5);
    expect(record.safetensorsBytes).toBeLessThanOrEqual(20 * 1024 * 1024);
    // The budget: one pretraining run of at most 30 minutes on these machines.
    expect(record.training.wallTimeSeconds).toBeLessThanOrEqual(30 * 60);
  });

  it('ships evidence that fine-tuning from it beats the same architecture from random initialisation', () => {
    const evidence = JSON.parse(readFileSync(join(BUILTIN_MODEL_DIR, 'evidence.json'), 'utf8'));
    const record = JSON.parse(readFileSync(join(BUILTIN_MODEL_DIR, 'pretraining-record.json'), 'utf8'));
    // Measured on this very base, not an earlier one.
    expect(evidence.baseModel.pretrainingFinishedAt).toBe(record.finishedAt);
    const arm = (name: string) => evidence.arms[name];
    expect(arm('genre/full-pretrained').macroF1).toBeGreaterThan(arm('genre/full-random').macroF1);
    expect(arm('spam/full-pretrained').testLoss).toBeLessThan(arm('spam/full-random').testLoss);
    expect(arm('moby/lora-pretrained').perplexityAfter).toBeLessThan(arm('moby/lora-pretrained').perplexityBefore);
  });

  it('with mean pooling, the base beats random initialisation on spam (4,000 and 256 examples) and genre, over seeds', () => {
    const evidence = JSON.parse(readFileSync(join(BUILTIN_MODEL_DIR, 'evidence.json'), 'utf8'));
    const summary = (task: string, init: string, variant: string) => evidence.seedSummary[`${task}/full-${init}${variant}[pool=mean]`];
    for (const [task, variant] of [['spam', ''], ['spam', '[train=256]'], ['genre', '']]) {
      const pretrained = summary(task, 'pretrained', variant);
      const random = summary(task, 'random', variant);
      const what = `${task}${variant}`;
      expect(pretrained.seeds.length, what).toBeGreaterThanOrEqual(3);
      expect(pretrained.seeds, what).toEqual(random.seeds);
      expect(pretrained.accuracy.mean, what).toBeGreaterThan(random.accuracy.mean);
      expect(pretrained.macroF1.mean, what).toBeGreaterThan(random.macroF1.mean);
      expect(pretrained.testLoss.mean, what).toBeLessThan(random.testLoss.mean);
    }
  });
});
