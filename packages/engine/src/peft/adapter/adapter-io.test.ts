import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectModelLogitsMatch, expectNamedErrors, removeTempDirs } from '../adapter-io-test-helpers.js';

beforeAll(async () => { await tf.setBackend('cpu'); });
afterAll(removeTempDirs);

describe('bottleneck adapter directories (registered loader)', { timeout: 60_000 }, () => {
  it('trained, saved, then loaded by modelLogits through the registry: the trained logits; a damaged file fails naming it and the tensor', async () => {
    const dir = await expectModelLogitsMatch('adapter', { placement: 'houlsby', bottleneck: 8, upInitStd: 0.01, nonLinearity: 'gelu' });
    expectNamedErrors('adapter', dir);
  });
});
