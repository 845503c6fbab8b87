/**
 * Parity with the Python reference stack (transformers 5.18 / peft 0.21):
 * tokenizer ids exactly, logits within ‖Δ‖/‖ref‖ ≤ 1e-4, one text at a time
 * and all three right-padded in one batch. Run on the test backend (cpu unless
 * ENGINE_TEST_BACKEND says otherwise) and, where native TensorFlow loads, again on it with
 * PEFT Lab's fused kernels on (the engine's training backend).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHfModel } from '../hf/model-io.js';
import { selectBackend } from '../backend.js';
import { peftKernels } from '../native/kernels.js';
import { batchLogits, FIXTURES, maxAbsError, readExpected, relativeError, useTestBackend } from './test-helpers.js';

const testBackend = process.env.ENGINE_TEST_BACKEND ?? 'cpu';
const nativeToo = testBackend !== 'tensorflow'
  && (await selectBackend({ prefer: 'tensorflow', strict: true, log: () => {} }).then(() => true, () => false));
const runs = [testBackend, ...(nativeToo ? ['tensorflow+peft-kernels'] : [])];

const PARITY_FIXTURES = [
  'gpt2-tiny', 'bert-tiny-cls', 'llama-tiny', 'gpt2-tiny-lora-merged',
  // One per further family (issue #12), and Llama from BF16 shards.
  'qwen2-tiny', 'qwen2-tiny-cls', 'qwen3-tiny', 'mistral-tiny', 'gemma-tiny', 'phi3-tiny',
  'roberta-tiny-cls', 'distilbert-tiny-cls', 'llama-tiny-bf16-sharded',
];

for (const [run, name] of runs.flatMap((r) => PARITY_FIXTURES.map((n) => [r, n] as const))) {
  describe(`${name} parity on ${run}`, () => {
    beforeAll(async () => {
      if (run === testBackend) await useTestBackend();
      else {
        await tf.setBackend('tensorflow');
        expect(peftKernels()).not.toBeNull();
      }
    });

    const expected = readExpected(name);

    it('tokenizer reproduces the recorded input_ids', () => {
      const { model, tokenizer } = loadHfModel(join(FIXTURES, name));
      model.dispose();
      for (const c of expected.cases) expect(tokenizer!.encode(c.text)).toEqual(c.input_ids);
    });

    it('logits match one text at a time and as a padded batch', () => {
      const { model } = loadHfModel(join(FIXTURES, name));
      try {
        const refs = expected.cases.map((c) => c.logits.flat() as number[]);
        const check = (got: Float32Array, ref: number[]) => {
          // The references are printed to 5 decimals. BERT's three classifier logits are ~0.02, so
          // that rounding alone is up to 3e-4 relative: there, demand agreement to the printed digit.
          if (ref.length <= 16) expect(maxAbsError(got, ref)).toBeLessThanOrEqual(5e-6 + 1e-7);
          else expect(relativeError(got, ref)).toBeLessThan(1e-4);
        };
        for (const [i, c] of expected.cases.entries()) check(batchLogits(model, [c.input_ids])[0], refs[i]);
        const batched = batchLogits(model, expected.cases.map((c) => c.input_ids));
        batched.forEach((got, i) => check(got, refs[i]));
      } finally {
        model.dispose();
      }
    });
  });
}

// The fixtures' windows are longer than their texts; sliding-window.expected.json (written by
// test-fixtures/make-sliding-window-reference.py) has transformers' logits with a window of 8:
// Mistral on every layer, Qwen2 on layer 1 only (max_window_layers 1).
const windowed = JSON.parse(readFileSync(join(FIXTURES, 'sliding-window.expected.json'), 'utf8')) as {
  models: Record<string, { overrides: Record<string, unknown>; input_ids: number[]; logits: number[][] }>;
};
const tmp = mkdtempSync(join(tmpdir(), 'parity-window-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

for (const run of runs) {
  describe(`sliding window shorter than the text on ${run}`, () => {
    beforeAll(async () => {
      if (run === testBackend) await useTestBackend();
      else await tf.setBackend('tensorflow');
    });

    for (const [name, ref] of Object.entries(windowed.models)) {
      it(`${name} with ${JSON.stringify(ref.overrides)}`, () => {
        const dir = join(tmp, `${name}-${run}`);
        const src = join(FIXTURES, name);
        mkdirSync(dir);
        for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
        const raw = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
        const { layer_types: _, ...rest } = raw;
        writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...rest, ...ref.overrides }));
        const { model } = loadHfModel(dir);
        try {
          const got = batchLogits(model, [ref.input_ids])[0];
          expect(relativeError(got, ref.logits.flat())).toBeLessThan(1e-4);
          // The window matters for these logits: the full-attention reference is far from them.
          const full = readExpected(name).cases.find((c) => c.input_ids.length === ref.input_ids.length)!;
          expect(relativeError(got, full.logits.flat() as number[])).toBeGreaterThan(1e-2);
          // Right padding keeps the window where it was.
          const padded = batchLogits(model, [ref.input_ids, ref.input_ids.slice(0, 20)]);
          expect(relativeError(padded[0], ref.logits.flat())).toBeLessThan(1e-4);
        } finally {
          model.dispose();
        }
      });
    }
  });
}
