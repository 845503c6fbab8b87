// Merged checkpoints (`merged-checkpoint.ts`): transformers alone (no peft) loads the directory
// with AutoModelFor….from_pretrained — no missing or unexpected keys — and its logits equal ours
// with the adapter unmerged, for LoRA, DoRA and (IA)³, causal LM and a classification head the
// base lacked. The Python checks need torch + transformers (`../peft/python-reference.ts`:
// PEFT_LAB_PYTHON, else <repo>/.venv-ref/bin/python, which .ci/run installs); without one they
// are skipped and say why. The dtype / name / refusal checks run everywhere.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotMergeableError } from '../errors.js';
import { batchLogits, FIXTURES, readExpected, relativeError, useTestBackend } from '../models/test-helpers.js';
import { attachPeft } from '../peft/base.js';
import { saveIa3Adapter, type Ia3Attachment } from '../peft/ia3/index.js';
import { perturbIa3 } from '../peft/ia3/ia3-test-helpers.js';
import { saveLoraAdapter, type LoraAttachment } from '../peft/lora/index.js';
import { perturb } from '../peft/lora/lora-test-helpers.js';
import { pythonPeftAvailable as available, pythonPeftVersion, runPythonJson, warnIfNoPythonPeft } from '../peft/python-reference.js';
import '../peft/methods.js';
import { saveAttachment } from '../peft/save-attachment.js';
import type { HeadKind } from '../types.js';
import { mergeAdapterIntoCheckpoint } from './merged-checkpoint.js';
import { loadHfModel } from './model-io.js';
import { SafetensorsFile, writeSafetensors } from './safetensors.js';

warnIfNoPythonPeft('merged-checkpoint interop');

// transformers only: the merged directory must load without peft.
const LOAD_MERGED = `
import json, sys, torch, transformers
inp = json.load(open(sys.argv[1]))
cls = transformers.AutoModelForCausalLM if inp['head'] == 'causal-lm' else transformers.AutoModelForSequenceClassification
model, info = cls.from_pretrained(inp['dir'], output_loading_info=True)
model = model.float().eval()
with torch.no_grad():
    logits = [model(input_ids=torch.tensor([ids])).logits[0].flatten().tolist() for ids in inp['rows']]
json.dump({'logits': logits, 'missing': list(info['missing_keys']), 'unexpected': list(info['unexpected_keys']), 'arch': model.config.architectures}, open(sys.argv[2], 'w'))
`;

const tmp = mkdtempSync(join(tmpdir(), 'peft-merged-'));
beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Attaches `method` to the fixture's model with `head`, perturbs it, saves the adapter; returns its dir and our unmerged logits. */
function trainedAdapter(fixture: string, head: HeadKind, method: 'lora' | 'ia3', config: Record<string, unknown>, seed: number) {
  const base = join(FIXTURES, fixture);
  const rows = readExpected(fixture).cases.map((c) => c.input_ids);
  const model = loadHfModel(base, { head, numLabels: head === 'causal-lm' ? undefined : 3, seed }).model;
  try {
    const a = attachPeft(model, method, config);
    if (method === 'lora') perturb(a as LoraAttachment, seed);
    else perturbIa3(a as Ia3Attachment, seed);
    let headSeed = seed * 1000;
    for (const [k, v] of a.trainable) if (!/\.(lora_[AB]|lora_magnitude_vector|ia3_l)\b/.test(k)) v.assign(tf.tidy(() => v.add(tf.randomNormal(v.shape, 0, 0.2, 'float32', headSeed++))));
    const dir = join(tmp, `${fixture}-${method}-${seed}`);
    if (method === 'lora') saveLoraAdapter(a, dir);
    else saveIa3Adapter(a, dir);
    const ours = rows.map((r) => batchLogits(model, [r])[0]);
    model.hooks = null;
    const plain = batchLogits(model, [rows[0]])[0];
    return { base, dir, rows, ours, plain };
  } finally {
    model.dispose();
  }
}

function mergeAndCompare(fixture: string, head: HeadKind, method: 'lora' | 'ia3', config: Record<string, unknown>, seed: number) {
  const { base, dir, rows, ours, plain } = trainedAdapter(fixture, head, method, config, seed);
  const out = join(tmp, `${fixture}-${method}-${seed}-merged`);
  const merged = mergeAdapterIntoCheckpoint(base, dir, out, { labels: head === 'causal-lm' ? undefined : ['a', 'b', 'c'] });
  expect(merged.files).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'generation_config.json']));
  const theirs = runPythonJson<{ logits: number[][]; missing: string[]; unexpected: string[]; arch: string[] }>(LOAD_MERGED, { dir: out, head, rows });
  expect(theirs.missing).toEqual([]);
  expect(theirs.unexpected).toEqual([]);
  theirs.logits.forEach((t, i) => expect(relativeError(Float32Array.from(t), ours[i])).toBeLessThan(1e-4));
  // The adapter matters: the base alone gives other logits (the check above is not vacuous).
  expect(relativeError(plain, ours[0])).toBeGreaterThan(1e-2);
  return { out, theirs };
}

describe.skipIf(!available)(`transformers (peft ${pythonPeftVersion} stack) loads our merged checkpoints with our logits`, () => {
  it('Qwen2 causal LM, LoRA on all seven projections', () => {
    mergeAndCompare('qwen2-tiny', 'causal-lm', 'lora', { r: 4, alpha: 16, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] }, 3);
  }, 120_000);

  it('Qwen2 causal LM, DoRA on q_proj and v_proj', () => {
    mergeAndCompare('qwen2-tiny', 'causal-lm', 'lora', { r: 4, alpha: 8, useDora: true, targetModules: ['q_proj', 'v_proj'] }, 5);
  }, 120_000);

  it('Qwen2 causal LM, (IA)³ on k_proj, v_proj and down_proj', () => {
    mergeAndCompare('qwen2-tiny', 'causal-lm', 'ia3', { targetModules: ['k_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] }, 7);
  }, 120_000);

  it('GPT-2 (bare tensor names, Conv1D) causal LM, LoRA on c_attn: the names stay bare', () => {
    const { out } = mergeAndCompare('gpt2-tiny', 'causal-lm', 'lora', { r: 4, alpha: 8, targetModules: ['c_attn'] }, 9);
    const names = [...SafetensorsFile.read(join(out, 'model.safetensors')).entries.keys()];
    const baseNames = [...SafetensorsFile.read(join(FIXTURES, 'gpt2-tiny/model.safetensors')).entries.keys()];
    expect(names.sort()).toEqual(baseNames.sort());
  }, 120_000);

  it('GPT-2 with a sequence-classification head the base lacks (LoRA + trained score): GPT2ForSequenceClassification with the labels', () => {
    const { out, theirs } = mergeAndCompare('gpt2-tiny', 'sequence-classification', 'lora', { r: 4, alpha: 8, targetModules: ['c_attn'] }, 11);
    expect(theirs.arch).toEqual(['GPT2ForSequenceClassification']);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.id2label).toEqual({ 0: 'a', 1: 'b', 2: 'c' });
  }, 120_000);

  it('(IA)³ with a classification head on Qwen2', () => {
    mergeAndCompare('qwen2-tiny', 'sequence-classification', 'ia3', { targetModules: ['k_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] }, 13);
  }, 120_000);
});

/** A perturbed LoRA on c_attn of the model in `base`, saved; returns its directory. */
function trainedAdapterOn(base: string): { dir: string } {
  const model = loadHfModel(base).model;
  try {
    const a = attachPeft(model, 'lora', { r: 2, alpha: 4, targetModules: ['c_attn'] }) as LoraAttachment;
    perturb(a, 2);
    const dir = `${base}-lora`;
    saveLoraAdapter(a, dir);
    return { dir };
  } finally {
    model.dispose();
  }
}

describe('merged checkpoint files', () => {
  it("keeps a BF16 sharded base's dtype and names in one model.safetensors; the merged weights change, the others are bit-identical", () => {
    const base = join(FIXTURES, 'llama-tiny-bf16-sharded');
    const model = loadHfModel(base).model;
    try {
      const a = attachPeft(model, 'lora', { r: 2, alpha: 4, targetModules: ['q_proj'] }) as LoraAttachment;
      perturb(a, 1);
      const dir = join(tmp, 'llama-bf16-lora');
      saveLoraAdapter(a, dir);
      const out = join(tmp, 'llama-bf16-merged');
      mergeAdapterIntoCheckpoint(base, dir, out);
      const merged = SafetensorsFile.read(join(out, 'model.safetensors'));
      const index = JSON.parse(readFileSync(join(base, 'model.safetensors.index.json'), 'utf8')).weight_map as Record<string, string>;
      expect([...merged.entries.keys()].sort()).toEqual(Object.keys(index).sort());
      for (const e of merged.entries.values()) expect(e.dtype).toBe('BF16');
      const shard = (name: string) => SafetensorsFile.read(join(base, index[name])).get(name).data;
      const q = 'model.layers.0.self_attn.q_proj.weight';
      const k = 'model.layers.0.self_attn.k_proj.weight';
      expect(merged.get(k).data).toEqual(shard(k));
      expect(relativeError(merged.get(q).data, shard(q))).toBeGreaterThan(1e-3);
    } finally {
      model.dispose();
    }
  }, 60_000);

  it('copies a base tensor the engine does not hold (an old GPT-2 attn.bias buffer) byte for byte', () => {
    const base = join(tmp, 'gpt2-with-buffer');
    cpSync(join(FIXTURES, 'gpt2-tiny'), base, { recursive: true });
    const file = SafetensorsFile.read(join(base, 'model.safetensors'));
    const tensors = new Map([...file.entries.keys()].map((n) => [n, file.get(n)]));
    const mask = { shape: [1, 1, 2, 2], data: Float32Array.from([1, 0, 1, 1]) };
    tensors.set('h.0.attn.bias', mask);
    writeSafetensors(join(base, 'model.safetensors'), tensors);
    const { dir } = trainedAdapterOn(base);
    const out = join(tmp, 'gpt2-with-buffer-merged');
    mergeAdapterIntoCheckpoint(base, dir, out);
    const merged = SafetensorsFile.read(join(out, 'model.safetensors'));
    expect(merged.entries.get('h.0.attn.bias')).toMatchObject({ dtype: 'F32', shape: [1, 1, 2, 2] });
    expect(Array.from(merged.get('h.0.attn.bias').data)).toEqual([1, 0, 1, 1]);
  });

  it('refuses prefix tuning with NotMergeableError saying why and offering the adapter export; writes nothing', async () => {
    const base = join(FIXTURES, 'qwen2-tiny');
    const { model, tokenizer } = loadHfModel(base);
    try {
      const a = attachPeft(model, 'prefix', { numVirtualTokens: 2 });
      const dir = join(tmp, 'qwen2-prefix');
      await saveAttachment(model, a, tokenizer, dir);
      const out = join(tmp, 'qwen2-prefix-merged');
      expect(() => mergeAdapterIntoCheckpoint(base, dir, out)).toThrow(NotMergeableError);
      expect(() => mergeAdapterIntoCheckpoint(base, dir, out)).toThrow(/method="prefix" cannot be merged.*export the PEFT-format adapter/);
      expect(existsSync(out)).toBe(false);
    } finally {
      model.dispose();
    }
  });
});
