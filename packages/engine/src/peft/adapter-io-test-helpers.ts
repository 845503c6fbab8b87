/**
 * The round trip every method's adapter-io test runs on gpt2-tiny: train a few steps, save with
 * `saveAttachment`, load through the registered loader (`modelLogits`, as `peft-lab model logits
 * --adapter` does, or onto a fresh classification model), and the loader's errors on a damaged file.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { CheckpointFormatError } from '../errors.js';
import { modelLogits } from '../hf/model-logits.js';
import { loadHfModel } from '../hf/model-io.js';
import { SafetensorsFile, writeSafetensors, type HostTensor } from '../hf/safetensors.js';
import { FIXTURES, maxAbsError } from '../models/test-helpers.js';
import { trainTrial } from '../train/train-trial.js';
import type { HeadKind, PeftMethodName, TransformerModel } from '../types.js';
import { attachedAdapters, attachPeft, registeredPeftMethod } from './base.js';
import { saveAttachment } from './save-attachment.js';
import './methods.js';

export const GPT2 = join(FIXTURES, 'gpt2-tiny');
const TEXTS = ['the cat sat on the mat', 'hello world, a longer text'];
const made: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
};

/** Removes the directories the helpers wrote (call in afterAll). */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

const logitsOf = (model: TransformerModel, ids: number[]) => tf.tidy(() => {
  const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
  return Array.from(model.forward({ inputIds, attentionMask: tf.onesLike(inputIds) }, { training: false }).dataSync());
});

/**
 * Trains `method` 3 steps on gpt2-tiny with `head`, saves it; returns the directory, the trained
 * model's logits for TEXTS[0] (after saving: prefix folds there) and its ids.
 */
export async function trainAndSave(method: PeftMethodName, config: Record<string, unknown>, head: HeadKind = 'causal-lm'): Promise<{ dir: string; ids: number[]; trained: number[] }> {
  const { model, tokenizer } = loadHfModel(GPT2, { head, numLabels: head === 'causal-lm' ? undefined : 2, seed: 3 });
  try {
    const attachment = attachPeft(model, method, config);
    const rows = TEXTS.map((t) => tokenizer!.encode(t));
    const label = (i: number) => (head === 'sequence-classification' ? { label: i % 2 } : {});
    const trainData = Array.from({ length: 8 }, (_, i) => ({ inputIds: rows[i % 2], ...label(i) }));
    const r = await trainTrial({ model, attachment, task: head, metric: head === 'causal-lm' ? 'perplexity' : 'accuracy', trainData, lr: 5e-2, batchSize: 4, maxSteps: 3, seed: 1, latency: false });
    expect(r.status, r.reason).toBe('completed');
    const dir = join(tempDir(`peft-lab-${method}-io-`), 'adapter');
    await saveAttachment(model, attachment, tokenizer, dir);
    const trained = logitsOf(model, rows[0]);
    // The adapter changed the outputs, so equal logits below mean it was loaded.
    model.hooks = null;
    expect(maxAbsError(logitsOf(model, rows[0]), trained)).toBeGreaterThan(1e-4);
    attachment.dispose();
    return { dir, ids: rows[0], trained };
  } finally {
    model.dispose();
  }
}

/** `modelLogits` with the adapter (the registry's loader, picked by peft_type) gives the trained model's logits. */
export async function expectModelLogitsMatch(method: PeftMethodName, config: Record<string, unknown>): Promise<string> {
  const { dir, ids, trained } = await trainAndSave(method, config);
  const out = await modelLogits({ modelDir: GPT2, adapterDir: dir, text: TEXTS[0] });
  expect(out.input_ids).toEqual(ids);
  expect(maxAbsError(out.logits.flat(), trained)).toBeLessThan(1e-5);
  return dir;
}

/** The registered loader onto a fresh `head` model (saved head included) gives the trained model's logits. */
export async function expectReloadMatches(method: PeftMethodName, config: Record<string, unknown>, head: HeadKind): Promise<void> {
  const { dir, ids, trained } = await trainAndSave(method, config, head);
  const { model } = loadHfModel(GPT2, { head, numLabels: 2, seed: 9 });
  try {
    registeredPeftMethod(method)!.load!(model, dir, 'reloaded');
    expect(maxAbsError(logitsOf(model, ids), trained)).toBeLessThan(1e-5);
  } finally {
    model.dispose();
  }
}

/** A copy of the saved `dir` whose tensors `edit` changed. */
function damaged(dir: string, edit: (tensors: Map<string, HostTensor>) => void): string {
  const out = join(tempDir('peft-lab-damaged-'), 'adapter');
  cpSync(dir, out, { recursive: true });
  const file = SafetensorsFile.read(join(dir, 'adapter_model.safetensors'));
  const tensors = new Map([...file.entries.keys()].map((k): [string, HostTensor] => [k, file.get(k)]));
  edit(tensors);
  writeSafetensors(join(out, 'adapter_model.safetensors'), tensors);
  return out;
}

/** Missing, misshapen and extra tensors fail naming the file and the tensor; nothing stays attached. */
export function expectNamedErrors(method: PeftMethodName, dir: string): void {
  const key = [...SafetensorsFile.read(join(dir, 'adapter_model.safetensors')).entries].find(([, e]) => e.shape.length === 2)![0];
  const cases: [string, (t: Map<string, HostTensor>) => void, RegExp][] = [
    ['missing', (t) => t.delete(key), new RegExp(`adapter_model\\.safetensors: no tensor ${key.replace(/\./g, '\\.')}`)],
    ['misshapen', (t) => { const v = t.get(key)!; t.set(key, { shape: [v.data.length], data: v.data }); }, new RegExp(`adapter_model\\.safetensors: tensor ${key.replace(/\./g, '\\.')} is \\[\\d+\\], this model needs \\[\\d+, \\d+\\]`)],
    ['extra', (t) => t.set('stray.weight', { shape: [1], data: new Float32Array(1) }), /adapter_model\.safetensors: holds stray\.weight, which a \w+ adapter on this model does not have/],
  ];
  const { model } = loadHfModel(GPT2);
  try {
    for (const [what, edit, message] of cases) {
      const bad = damaged(dir, edit);
      const load = () => registeredPeftMethod(method)!.load!(model, bad, what);
      expect(load, what).toThrow(CheckpointFormatError);
      expect(load, what).toThrow(message);
      expect(load, what).toThrow(join(bad, 'adapter_model.safetensors'));
      expect([...attachedAdapters(model).keys()], what).toEqual([]);
    }
  } finally {
    model.dispose();
  }
}
