// (IA)³ without Python: the peft-written qwen2-tiny-ia3 fixture imports and gives its expected
// logits (alone, right-padded, merged), a fresh adapter leaves the model unchanged, the trainable
// count formula on every family, merge = unmerged and unmerge restores the base bit for bit,
// save → load, trainTrial moves only the vectors (and head copies), gradient checkpointing gives
// the plain run's losses, and config errors.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeftConfigError } from '../../errors.js';
import { loadHfModel } from '../../hf/model-io.js';
import { modelLogits } from '../../hf/model-logits.js';
import { batchLogits, FIXTURES, maxAbsError, readExpected, relativeError, useTestBackend } from '../../models/test-helpers.js';
import { changedWeights, snapshotWeights } from '../../train/frozen-weights.js';
import type { TokenExample } from '../../train/collate.js';
import { saveAttachment } from '../save-attachment.js';
import { trainTrial } from '../../train/train-trial.js';
import type { HeadKind } from '../../types.js';
import { attachPeft, setActiveAdapter } from '../base.js';
import { modulesToSaveParamCount, resolveModulesToSave, defaultModulesToSave, modelSpecs } from '../modules-to-save.js';
import { perturbIa3 } from './ia3-test-helpers.js';
import { createIa3Attachment, ia3ParamCount, loadIa3Adapter, saveIa3Adapter, type Ia3Attachment } from './index.js';

const tmp = mkdtempSync(join(tmpdir(), 'ia3-test-'));
beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const qwen2 = (head: HeadKind = 'causal-lm') => loadHfModel(join(FIXTURES, head === 'causal-lm' ? 'qwen2-tiny' : 'qwen2-tiny-cls')).model;
const size = (m: Map<string, tf.Variable>) => [...m.values()].reduce((n, v) => n + v.size, 0);

describe('(IA)³: the peft-written qwen2-tiny-ia3 adapter', () => {
  const e = readExpected('qwen2-tiny-ia3');
  it('imports (k_proj, v_proj, down_proj as feed-forward) and reproduces its expected logits within 1e-4, alone, right-padded and merged', () => {
    const model = qwen2();
    try {
      const ia3 = loadIa3Adapter(model, join(FIXTURES, 'qwen2-tiny-ia3'));
      expect(ia3.modules.size).toBe(2 * 3);
      expect(ia3.modules.get('model.layers.0.mlp.down_proj')!.feedforward).toBe(true);
      expect(ia3.modules.get('model.layers.0.self_attn.k_proj')!.feedforward).toBe(false);
      expect(ia3.modules.get('model.layers.0.mlp.down_proj')!.vector.shape).toEqual([1, 128]);
      expect(ia3.modules.get('model.layers.0.self_attn.v_proj')!.vector.shape).toEqual([32, 1]);
      e.cases.forEach((c) => expect(relativeError(batchLogits(model, [c.input_ids])[0], c.logits.flat() as number[])).toBeLessThan(1e-4));
      batchLogits(model, e.cases.map((c) => c.input_ids)).forEach((got, i) => expect(relativeError(got, e.cases[i].logits.flat() as number[])).toBeLessThan(1e-4));
      ia3.merge();
      model.hooks = null; // the merged weights alone carry the adapter
      e.cases.forEach((c) => expect(relativeError(batchLogits(model, [c.input_ids])[0], c.logits.flat() as number[])).toBeLessThan(1e-4));
      model.hooks = ia3.hooks;
      ia3.unmerge();
      setActiveAdapter(model, null);
      expect(relativeError(batchLogits(model, [e.cases[0].input_ids])[0], e.cases[0].logits.flat() as number[])).toBeGreaterThan(1e-2);
    } finally {
      model.dispose();
    }
  });
});

describe('(IA)³ adapter directories through the registry', () => {
  it('modelLogits (peft-lab model logits --adapter) picks the (IA)³ loader by peft_type and gives the fixture\'s logits', async () => {
    const e = readExpected('qwen2-tiny-ia3');
    const out = await modelLogits({ modelDir: join(FIXTURES, 'qwen2-tiny'), adapterDir: join(FIXTURES, 'qwen2-tiny-ia3'), text: e.cases[0].text });
    expect(out.input_ids).toEqual(e.cases[0].input_ids);
    expect(relativeError(out.logits.flat(), e.cases[0].logits.flat() as number[])).toBeLessThan(1e-4);
  });
});

describe('(IA)³ init, merge, save and load', () => {
  const ids = readExpected('qwen2-tiny').cases.map((c) => c.input_ids);

  it('a fresh adapter is all ones and leaves the logits bit-identical', () => {
    const model = qwen2();
    try {
      const before = batchLogits(model, ids);
      const ia3 = attachPeft(model, 'ia3') as Ia3Attachment;
      // peft's qwen2 defaults: q_proj, v_proj, down_proj (feed-forward).
      expect(ia3.config).toMatchObject({ targetModules: ['q_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] });
      for (const v of ia3.trainable.values()) expect(Array.from(v.dataSync()).every((x) => x === 1)).toBe(true);
      batchLogits(model, ids).forEach((got, i) => expect(maxAbsError(got, before[i])).toBe(0));
    } finally {
      model.dispose();
    }
  });

  it('merge gives the unmerged logits within 1e-5 (q/v biases scaled too); unmerge restores every base weight and bias bit for bit', () => {
    const model = qwen2();
    try {
      const base = snapshotWeights(model.weights);
      const originals = new Map(model.weights);
      const ia3 = attachPeft(model, 'ia3', { targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'up_proj', 'down_proj'], feedforwardModules: ['o_proj', 'down_proj'] }) as Ia3Attachment;
      perturbIa3(ia3, 3);
      const unmerged = batchLogits(model, ids);
      ia3.merge();
      expect(ia3.merged).toBe(true);
      // Only the targets' weights and the output-scaled modules' biases were swapped (q, k, v have biases in Qwen2).
      const swapped = [...model.weights.keys()].filter((k) => model.weights.get(k) !== originals.get(k)).sort();
      expect(swapped).toHaveLength(2 * (6 + 3));
      expect(swapped).toContain('model.layers.0.self_attn.q_proj.bias');
      expect(swapped).not.toContain('model.layers.0.self_attn.o_proj.bias');
      batchLogits(model, ids).forEach((got, i) => expect(relativeError(got, unmerged[i])).toBeLessThan(1e-5));
      model.hooks = null;
      batchLogits(model, ids).forEach((got, i) => expect(relativeError(got, unmerged[i])).toBeLessThan(1e-5));
      model.hooks = ia3.hooks;
      ia3.unmerge();
      expect(changedWeights(model.weights, base)).toEqual([]);
      for (const [k, v] of model.weights) expect(v, k).toBe(originals.get(k));
      batchLogits(model, ids).forEach((got, i) => expect(maxAbsError(got, unmerged[i])).toBe(0));
    } finally {
      model.dispose();
    }
  });

  it('save → load round trip keeps the logits; adapter_config.json and keys as peft writes them', () => {
    const model = qwen2();
    const other = qwen2();
    try {
      const ia3 = attachPeft(model, 'ia3', { baseModelNameOrPath: 'qwen2-tiny' }) as Ia3Attachment;
      perturbIa3(ia3, 5);
      const dir = join(tmp, 'roundtrip');
      saveIa3Adapter(ia3, dir);
      const json = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
      expect(json).toMatchObject({
        peft_type: 'IA3', task_type: 'CAUSAL_LM', base_model_name_or_path: 'qwen2-tiny', target_modules: ['q_proj', 'v_proj', 'down_proj'],
        feedforward_modules: ['down_proj'], fan_in_fan_out: false, modules_to_save: null, init_ia3_weights: true,
      });
      expect([...ia3.adapterTensors().keys()].sort()).toEqual(
        [0, 1].flatMap((l) => [`mlp.down_proj`, `self_attn.q_proj`, `self_attn.v_proj`].map((m) => `base_model.model.model.layers.${l}.${m}.ia3_l`)).sort(),
      );
      expect(ia3.storedBytes()).toBe(readFileSync(join(dir, 'adapter_model.safetensors')).length + readFileSync(join(dir, 'adapter_config.json')).length);
      loadIa3Adapter(other, dir);
      const a = batchLogits(model, ids);
      batchLogits(other, ids).forEach((got, i) => expect(maxAbsError(got, a[i])).toBe(0));
    } finally {
      model.dispose();
      other.dispose();
    }
  });

  it('the training loop saves it through saveAttachment (adapter files, the same bytes as saveIa3Adapter)', async () => {
    const model = qwen2();
    try {
      const ia3 = attachPeft(model, 'ia3') as Ia3Attachment;
      perturbIa3(ia3, 9);
      const files = await saveAttachment(model, ia3, null, join(tmp, 'via-train'));
      expect(files).toEqual(['adapter_model.safetensors', 'adapter_config.json']);
      saveIa3Adapter(ia3, join(tmp, 'direct'));
      for (const f of files) expect(readFileSync(join(tmp, 'via-train', f)).equals(readFileSync(join(tmp, 'direct', f))), f).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('config errors name the field', () => {
    const model = qwen2();
    try {
      expect(() => createIa3Attachment(model, { targetModules: ['c_attn'] })).toThrow(PeftConfigError);
      expect(() => createIa3Attachment(model, { targetModules: ['c_attn'] })).toThrow(/targetModules: "c_attn" matches no linear module/);
      expect(() => createIa3Attachment(model, { targetModules: ['k_proj'], feedforwardModules: ['down_proj'] })).toThrow(/feedforwardModules: "down_proj" is not in targetModules/);
      expect(() => createIa3Attachment(model, { r: 4 } as never)).toThrow(/r/);
    } finally {
      model.dispose();
    }
  });
});

interface CountCase {
  fixture: string;
  head: HeadKind;
  /** The (IA)³ vectors' size with the family defaults: Σ in (feed-forward) + Σ out (others). */
  vectors: number;
}

// qwen2/qwen3/gemma/mistral/llama tiny: d 64; q out 64 (gemma, qwen3: heads·headDim), k/v out 16 or 32, ffn 128; 2 layers.
const COUNTS: CountCase[] = [
  { fixture: 'qwen2-tiny', head: 'causal-lm', vectors: 2 * (64 + 32 + 128) },
  { fixture: 'llama-tiny', head: 'causal-lm', vectors: 2 * (16 + 16 + 128) },
  // gpt2-tiny: c_attn out 192, mlp.c_proj in 256 (feed-forward)
  { fixture: 'gpt2-tiny', head: 'causal-lm', vectors: 2 * (192 + 256) },
  // bert: key, value out 64; attention.output.dense in 64 and output.dense in 256, both feed-forward (peft's suffix match)
  { fixture: 'bert-tiny-cls', head: 'sequence-classification', vectors: 2 * (64 + 64 + 64 + 256) },
  { fixture: 'roberta-tiny-cls', head: 'sequence-classification', vectors: 2 * (64 + 64 + 64 + 256) },
  // distilbert (ours): k_lin, v_lin out 64, lin2 in 256 (feed-forward)
  { fixture: 'distilbert-tiny-cls', head: 'sequence-classification', vectors: 2 * (64 + 64 + 256) },
  // phi3 (ours): the fused qkv_proj out 64 + 2·32, down_proj in 128 (feed-forward)
  { fixture: 'phi3-tiny', head: 'causal-lm', vectors: 2 * (128 + 128) },
  { fixture: 'qwen2-tiny-cls', head: 'sequence-classification', vectors: 2 * (64 + 32 + 128) },
];

function data(head: HeadKind, vocab: number): TokenExample[] {
  return Array.from({ length: 8 }, (_, i) => ({
    inputIds: Array.from({ length: 5 + (i % 3) }, (_, t) => 5 + ((i * 7 + t * 3) % (vocab - 5))),
    ...(head === 'causal-lm' ? {} : { label: i % 3 }),
  }));
}

describe('(IA)³ trainable count = Σ in (feed-forward) + Σ out (others) + the saved heads; trainTrial keeps the base bit-identical', { timeout: 60_000 }, () => {
  for (const c of COUNTS) {
    it(`${c.fixture} (${c.head})`, async () => {
      const { model } = loadHfModel(join(FIXTURES, c.fixture), { head: c.head });
      try {
        const ia3 = attachPeft(model, 'ia3') as Ia3Attachment;
        const expected = [...ia3.modules.values()].reduce((n, m) => n + (m.feedforward ? m.inFeatures : m.outFeatures), 0);
        expect(expected).toBe(c.vectors);
        expect(ia3ParamCount(model)).toBe(expected);
        const heads = modulesToSaveParamCount(modelSpecs(model), defaultModulesToSave(c.head));
        expect(size(ia3.trainable)).toBe(expected + heads);
        expect(ia3.savedModules).toEqual(resolveModulesToSave(modelSpecs(model), defaultModulesToSave(c.head)));

        const base = snapshotWeights(model.weights);
        const own = snapshotWeights(ia3.trainable);
        const r = await trainTrial({
          model, attachment: ia3, task: c.head, metric: c.head === 'causal-lm' ? 'perplexity' : 'accuracy',
          trainData: data(c.head, model.config.vocabSize), lr: 1e-2, batchSize: 4, maxSteps: 3, seed: 1, latency: false,
          padTokenId: (model.config.extra.padTokenId as number | undefined) ?? 0,
        });
        expect(r.status, r.reason).toBe('completed');
        for (const l of r.losses) expect(Number.isFinite(l)).toBe(true);
        expect(changedWeights(model.weights, base)).toEqual([]);
        const moved = changedWeights(ia3.trainable, own);
        // Every vector moves (and every head copy).
        expect(moved.sort()).toEqual([...ia3.trainable.keys()].sort());
        ia3.dispose();
      } finally {
        model.dispose();
      }
    });
  }

  it('qwen2-tiny-cls with gradient checkpointing: the plain run\'s losses', async () => {
    const run = async (gradientCheckpointing: boolean) => {
      const model = qwen2('sequence-classification');
      try {
        const ia3 = attachPeft(model, 'ia3');
        const r = await trainTrial({
          model, attachment: ia3, task: 'sequence-classification', metric: 'accuracy', trainData: data('sequence-classification', model.config.vocabSize),
          lr: 1e-2, batchSize: 4, maxSteps: 3, seed: 1, latency: false, gradientCheckpointing,
        });
        return r.losses;
      } finally {
        model.dispose();
      }
    };
    const plain = await run(false);
    const checkpointed = await run(true);
    checkpointed.forEach((l, i) => expect(Math.abs(l - plain[i])).toBeLessThan(1e-4 * Math.abs(plain[i])));
  });
});
