import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectModelLogitsMatch, expectNamedErrors, expectReloadMatches, removeTempDirs } from '../adapter-io-test-helpers.js';

beforeAll(async () => { await tf.setBackend('cpu'); });
afterAll(removeTempDirs);

describe('prompt tuning directories (registered loader)', { timeout: 60_000 }, () => {
  it('trained, saved, loaded by modelLogits through the registry: the trained logits; a damaged file fails naming it and the tensor', async () => {
    const dir = await expectModelLogitsMatch('prompt', { numVirtualTokens: 4, init: 'sampled-vocab' });
    expectNamedErrors('prompt', dir);
  });

  it('a sequence-classification prompt with its saved head loads onto a fresh model', async () => {
    await expectReloadMatches('prompt', { numVirtualTokens: 2 }, 'sequence-classification');
  });
});
