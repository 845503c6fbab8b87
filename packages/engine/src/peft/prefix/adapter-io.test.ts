import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectModelLogitsMatch, expectNamedErrors, expectReloadMatches, removeTempDirs } from '../adapter-io-test-helpers.js';

beforeAll(async () => { await tf.setBackend('cpu'); });
afterAll(removeTempDirs);

describe('prefix tuning directories (registered loader)', { timeout: 60_000 }, () => {
  it('trained through the MLP, saved folded, loaded by modelLogits through the registry: the trained logits; a damaged file fails naming it and the tensor', async () => {
    const dir = await expectModelLogitsMatch('prefix', { numVirtualTokens: 3, prefixProjection: true });
    expectNamedErrors('prefix', dir);
  });

  it('a sequence-classification prefix with its saved head loads onto a fresh model', async () => {
    await expectReloadMatches('prefix', { numVirtualTokens: 2 }, 'sequence-classification');
  });
});
