// The method registry (declarations.ts) against the engine: every declared method is registered
// with attachPeft (methods.ts) and the other way round; the TF-free entry imports nothing with
// TensorFlow; each config schema takes the declared defaults and declares every key; and every
// registered method trains a tiny model two steps, saves in its declared format and reloads (through
// its registered loader: every adapter method has one).
// New methods are covered by being registered: nothing here names one.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { loadHfModel } from '../hf/model-io.js';
import { SafetensorsFile } from '../hf/safetensors.js';
import { FIXTURES, maxAbsError, useTestBackend } from '../models/test-helpers.js';
import { saveAttachment } from './save-attachment.js';
import { trainTrial } from '../train/train-trial.js';
import type { TokenExample } from '../train/collate.js';
import type { TransformerModel } from '../types.js';
import { attachPeft, detachPeft, registeredPeftMethod, registeredPeftMethods } from './base.js';
import { METHOD_DECLARATIONS, METHOD_NAMES, configFromSweep, sweepParameters, withDefaults } from './declarations.js';
import './methods.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'peft-lab-registry-'));

beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the method registry', () => {
  it('lists full, lora, adapter, prefix and prompt first, each once, and attachPeft knows exactly these', () => {
    expect(METHOD_NAMES.slice(0, 5)).toEqual(['full', 'lora', 'adapter', 'prefix', 'prompt']);
    expect(new Set(METHOD_NAMES).size).toBe(METHOD_NAMES.length);
    expect([...registeredPeftMethods()].sort()).toEqual([...METHOD_NAMES].sort());
  });

  it('gives every method a label, a short label, a summary, a distinct colour, a learning rate and a save format', () => {
    const colours = METHOD_DECLARATIONS.map((d) => d.color.toLowerCase());
    expect(new Set(colours).size).toBe(colours.length);
    for (const d of METHOD_DECLARATIONS) {
      expect(d.label.length, d.name).toBeGreaterThan(0);
      expect(d.shortLabel.length, d.name).toBeGreaterThan(0);
      expect(d.summary.length, d.name).toBeGreaterThan(0);
      expect(d.color, d.name).toMatch(/^#[0-9a-fA-F]{6}$/);
      expect(d.defaultLr, d.name).toBeGreaterThan(0);
      expect(d.saveFormat === 'full checkpoint' || /^[A-Z][A-Z0-9_]*$/.test(d.saveFormat.peftType), d.name).toBe(true);
      const names = d.hyperparameters.map((p) => p.name);
      expect(new Set(names).size, d.name).toBe(names.length);
      for (const p of d.hyperparameters) {
        if (p.appliesWhen) expect(names, `${d.name}.${p.name} appliesWhen`).toContain(p.appliesWhen.param);
        if (p.exclusiveWith) expect(names, `${d.name}.${p.name} exclusiveWith`).toContain(p.exclusiveWith);
      }
      // The sweep side derives without throwing, its names are distinct too.
      const spec = sweepParameters(d).map((p) => p.name);
      expect(new Set(spec).size, d.name).toBe(spec.length);
    }
  });

  it('keeps @peft-lab/engine/methods free of TensorFlow: it imports only declaration files (and zod)', () => {
    const pkg = JSON.parse(readFileSync(join(HERE, '../../package.json'), 'utf8')) as { exports: Record<string, string> };
    const entry = resolve(HERE, '../..', pkg.exports['./methods']);
    expect(entry).toBe(join(HERE, 'declarations.ts'));
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      expect(file, 'a TF-free module').toMatch(/[\\/]peft[\\/](declarations|method-declaration|[a-z0-9-]+[\\/]declaration)\.ts$/);
      const src = readFileSync(file, 'utf8');
      const specs = [
        ...src.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*['"]([^'"]+)['"]/gm), // import … from '…', export … from '…'
        ...src.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm), // import '…'
        ...src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]/g), // import('…')
      ].map((m) => m[1]);
      for (const spec of specs) {
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else expect(spec, `${file} imports`).toBe('zod');
      }
    };
    visit(entry);
    expect(seen.size).toBeGreaterThanOrEqual(METHOD_DECLARATIONS.length + 2);
  });

  it("takes each config schema's defaults from the declaration, and declares every key the schema has", () => {
    for (const d of METHOD_DECLARATIONS) {
      const schema = registeredPeftMethod(d.name)?.configSchema as (z.ZodType & { shape?: Record<string, unknown> }) | undefined;
      if (!schema) {
        expect(d.hyperparameters, `${d.name} takes no config`).toEqual([]);
        continue;
      }
      expect(Object.keys(schema.shape ?? {}).sort(), d.name).toEqual(d.hyperparameters.map((p) => p.name).sort());
      const parsed = schema.parse({}) as Record<string, unknown>;
      for (const p of d.hyperparameters) {
        // An exclusive pair's default applies only when neither is given (the method resolves it), so the schema leaves it out.
        expect(parsed[p.name], `${d.name}.${p.name}`).toEqual(p.exclusiveWith ? undefined : p.default);
      }
    }
  });
});

/** Tiny causal-LM data within gpt2-tiny's vocabulary. */
const data: TokenExample[] = Array.from({ length: 8 }, (_, i) => ({ inputIds: Array.from({ length: 6 + (i % 3) }, (_, t) => 5 + ((i * 7 + t * 3) % 90)) }));
const IDS = [[5, 9, 14, 20, 33, 41]];

function logits(model: TransformerModel): Float32Array {
  return tf.tidy(() => {
    const inputIds = tf.tensor2d(IDS, [1, IDS[0].length], 'int32');
    const attentionMask = tf.onesLike(inputIds);
    return model.forward({ inputIds, attentionMask }, { training: false }).dataSync() as Float32Array;
  });
}

describe('every registered method trains, saves in its declared format and reloads', { timeout: 60_000 }, () => {
  for (const d of METHOD_DECLARATIONS) {
    it(`${d.name}: 2 steps on gpt2-tiny with the declared defaults`, async () => {
      const fixture = join(FIXTURES, 'gpt2-tiny');
      const { model, tokenizer } = loadHfModel(fixture, { head: 'causal-lm' });
      try {
        // The sweep's defaults, mapped to the engine as the worker does, are a config the method accepts.
        const sweepDefaults = Object.fromEntries(sweepParameters(d).filter((p) => p.default !== undefined && !p.exclusiveWith).map((p) => [p.name, p.default]));
        attachPeft(model, d.name, configFromSweep(d, sweepDefaults, () => [1, 2]), 'from-sweep');
        detachPeft(model, 'from-sweep');

        const attachment = attachPeft(model, d.name, {});
        const trainable = [...attachment.trainable.values()].reduce((n, v) => n + v.size, 0);
        if (d.trainableParams) expect(trainable, 'the declared formula').toBe(d.trainableParams(model.config, withDefaults(d)));
        const r = await trainTrial({ model, attachment, task: 'causal-lm', metric: 'perplexity', trainData: data, lr: 1e-2, batchSize: 4, maxSteps: 2, seed: 1, latency: false });
        expect(r.status, r.reason).toBe('completed');
        expect(r.losses).toHaveLength(2);
        for (const l of r.losses) expect(Number.isFinite(l)).toBe(true);
        const trained = logits(model);

        const dir = join(tmp, d.name);
        const files = await saveAttachment(model, attachment, tokenizer, dir);
        if (d.saveFormat === 'full checkpoint') {
          expect(files).toContain('model.safetensors');
          const reloaded = loadHfModel(dir, { head: 'causal-lm' }).model;
          expect(maxAbsError(logits(reloaded), trained)).toBeLessThan(1e-5);
          reloaded.dispose();
        } else {
          expect(files).toEqual(['adapter_model.safetensors', 'adapter_config.json']);
          const json = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
          expect(json.peft_type).toBe(d.saveFormat.peftType);
          const file = SafetensorsFile.read(join(dir, 'adapter_model.safetensors'));
          expect(file.entries.size).toBeGreaterThan(0);
          // Every method saved as an adapter has a registered loader: onto a fresh copy of the base, the trained outputs.
          const load = registeredPeftMethod(d.name)?.load;
          expect(load, `${d.name}: registerPeftMethod({ load })`).toBeTypeOf('function');
          const fresh = loadHfModel(fixture, { head: 'causal-lm' }).model;
          load!(fresh, dir, 'reloaded');
          expect(maxAbsError(logits(fresh), trained)).toBeLessThan(1e-5);
          fresh.dispose();
        }
        attachment.dispose();
      } finally {
        model.dispose();
      }
    });
  }
});
