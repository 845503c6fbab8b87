// `peft-lab serve --sweep`: a sweep trained by the real worker on embedded PostgreSQL, its stored
// adapters served (all, best per method, listed trials, hot-loaded by trial id).
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitSweep } from '@peft-lab/db';
import { createTestDatabase, type TestDatabase } from '@peft-lab/db/testing';
import { runWorker, silentLogger } from '@peft-lab/worker';
import { loadHfModel, loadLoraAdapter } from '@peft-lab/engine';
import { startServe } from '@peft-lab/serve';
import { artifactAdapterSource, sweepAdapterSources } from '../packages/cli/src/serve-sources.js';
import { GPT2_TINY_DIR, registerTinyFixtures, tinySpec } from './helpers/worker-fixtures';

let t: TestDatabase;
let sweepId: string;
let trials: { id: string; method: string; index: number; seed: number }[];

beforeAll(async () => {
  t = await createTestDatabase();
  await registerTinyFixtures(t.db);
  const { sweep } = await submitSweep(t.db, tinySpec('serve-sweep', [{ method: 'lora', space: { r: 2 } }, { method: 'prefix', space: { prefixLength: 4, reparameterize: false } }]));
  sweepId = sweep.id;
  const summary = await runWorker({ db: t.db, once: true, log: silentLogger(), leaseMs: 3_000, progress: 'off', handleSignals: false, pollMs: 200 });
  expect(summary.outcomes.completed).toBe(3);
  trials = await t.db.trial.findMany({ where: { sweepId }, orderBy: { index: 'asc' }, select: { id: true, method: true, index: true, seed: true } });
}, 180_000);
afterAll(() => t?.cleanup());

describe('serve --sweep', () => {
  it('serves every completed trial that stored an adapter, named <method>-<index>, with the task labels, and predicts what the adapter gives alone', async () => {
    const adapters = await sweepAdapterSources(t.db, sweepId, {});
    expect(adapters.map((a) => a.name)).toEqual(['lora-1', 'prefix-2']);
    const lora = adapters[0].source;
    expect(lora.labels?.slice().sort()).toEqual(['ham', 'spam']);
    expect(lora.seed).toBe(trials[1].seed);
    const s = await startServe({ modelDir: GPT2_TINY_DIR, modelName: 'gpt2-tiny', port: 0, adapters, resolveArtifact: (ref) => artifactAdapterSource(t.db, ref) });
    try {
      const text = 'win cash prize free offer';
      const res = await fetch(`${s.url}/v1/predict`, { method: 'POST', body: JSON.stringify({ adapter: 'lora-1', texts: [text] }) });
      expect(res.status).toBe(200);
      const p = (await res.json()).predictions[0];

      // Alone: a fresh model with the trial's head settings and the engine's own LoRA loader.
      await tf.setBackend(tf.getBackend());
      const { model, tokenizer } = loadHfModel(GPT2_TINY_DIR, { head: 'sequence-classification', numLabels: 2, seed: lora.seed, pooling: lora.pooling });
      const a = loadLoraAdapter(model, lora.dir, 'alone');
      const ids = tokenizer!.encode(text);
      const probs = tf.tidy(() => {
        const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
        return tf.softmax(model.forward({ inputIds, attentionMask: tf.onesLike(inputIds) }, { training: false })).dataSync();
      });
      a.dispose();
      model.dispose();
      lora.labels!.forEach((label, i) => expect(Math.abs(p.probabilities[label] - probs[i])).toBeLessThan(1e-5));

      const prefix = await fetch(`${s.url}/v1/predict`, { method: 'POST', body: JSON.stringify({ adapter: 'prefix-2', texts: [text, 'team meeting notes'] }) });
      expect(prefix.status).toBe(200);
      expect((await prefix.json()).predictions.map((x: { label: string }) => typeof x.label)).toEqual(['string', 'string']);

      // Hot-load by trial id; unknown trial 404, the full fine-tuning trial (no adapter) 422; the server stays up.
      const again = await fetch(`${s.url}/v1/adapters`, { method: 'POST', body: JSON.stringify({ name: 'again', artifact: trials[1].id }) });
      expect(again.status).toBe(201);
      expect((await again.json()).source).toEqual({ kind: 'artifact', ref: trials[1].id });
      const unknownTrial = '00000000-0000-4000-8000-000000000000';
      const bad = await Promise.all([unknownTrial, trials[0].id].map((ref) => fetch(`${s.url}/v1/adapters`, { method: 'POST', body: JSON.stringify({ name: 'x', artifact: ref }) })));
      expect(bad.map((r) => r.status)).toEqual([404, 422]);
      const [unknown, full] = await Promise.all(bad.map(async (r) => (await r.json()).error.message));
      expect(unknown).toMatch(/artifact: trial "00000000-0000-4000-8000-000000000000" not found/);
      expect(full).toMatch(/stored no adapter \(method full/);
      const del = await fetch(`${s.url}/v1/adapters/again`, { method: 'DELETE' });
      expect(del.status).toBe(200);
    } finally {
      await s.close();
    }
    // Unloading removed the temporary directories of the artifacts.
    expect(existsSync(lora.dir)).toBe(false);
  });

  it('--best-per-method leaves full fine-tuning out; --trials naming a trial without an adapter is refused, naming it', async () => {
    const best = await sweepAdapterSources(t.db, sweepId, { bestPerMethod: true });
    expect(best.map((a) => a.name).sort()).toEqual(['lora-1', 'prefix-2']);
    for (const a of best) a.source.cleanup?.();
    const one = await sweepAdapterSources(t.db, sweepId, { trialIds: [trials[2].id] });
    expect(one.map((a) => a.name)).toEqual(['prefix-2']);
    one[0].source.cleanup?.();
    await expect(sweepAdapterSources(t.db, sweepId, { trialIds: [trials[0].id] })).rejects.toThrow(/stored no adapter \(method full: full fine-tuning stores a model\)/);
  });
});
