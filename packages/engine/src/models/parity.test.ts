/**
 * Parity with the Python reference stack (transformers 5.18 / peft 0.21):
 * tokenizer ids exactly, logits within ‖Δ‖/‖ref‖ ≤ 1e-4, one text at a time
 * and all three right-padded in one batch. Run on the test backend (cpu unless
 * ENGINE_TEST_BACKEND says otherwise) and, where native TensorFlow loads, again on it with
 * PEFT Lab's fused kernels on (the engine's training backend).
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHfModel } from '../hf/model-io.js';
import { selectBackend } from '../backend.js';
import { peftKernels } from '../native/kernels.js';
import { batchLogits, FIXTURES, maxAbsError, readExpected, relativeError, useTestBackend } from './test-helpers.js';

const testBackend = process.env.ENGINE_TEST_BACKEND ?? 'cpu';
const nativeToo = testBackend !== 'tensorflow'
  && (await selectBackend({ prefer: 'tensorflow', strict: true, log: () => {} }).then(() => true, () => false));
const runs = [testBackend, ...(nativeToo ? ['tensorflow+peft-kernels'] : [])];

for (const [run, name] of runs.flatMap((r) => ['gpt2-tiny', 'bert-tiny-cls', 'llama-tiny', 'gpt2-tiny-lora-merged'].map((n) => [r, n] as const))) {
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
