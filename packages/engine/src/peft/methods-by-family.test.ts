// Every PEFT method on every family of issue #12 (decoders as causal LMs, qwen2 as a sequence
// classifier, RoBERTa and DistilBERT classifiers): the trainable parameters are the method's
// analytical count plus the classification head's (peft's modules_to_save), a few trainTrial steps
// give finite losses and move the method's variables and the head copies, and every base weight —
// the base head included — stays bit-identical.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHfModel } from '../hf/model-io.js';
import { FIXTURES, useTestBackend } from '../models/test-helpers.js';
import { changedWeights, snapshotWeights } from '../train/frozen-weights.js';
import { trainTrial } from '../train/train-trial.js';
import type { TokenExample } from '../train/collate.js';
import { adapterFiles, type SavableAttachment } from './save-attachment.js';
import { SafetensorsFile } from '../hf/safetensors.js';
import type { HeadKind, NormalizedConfig, PeftMethodName, TransformerModel } from '../types.js';
import { attachPeft } from './base.js';
import { AdapterConfigSchema, adapterParamCount } from './adapter/index.js';
import { DEFAULT_TARGET_MODULES, loraParamCount } from './lora/index.js';
import { PrefixConfigSchema, prefixParamCount } from './prefix/index.js';
import { promptParamCount } from './prompt/index.js';
import '../peft/full/index.js';

beforeAll(async () => {
  await useTestBackend();
});

interface Family {
  fixture: string;
  head: HeadKind;
  /** The classification head's parameters (weights + biases), from the config: what modules_to_save adds. */
  headParams: (c: NormalizedConfig) => number;
  /** Its linears, as saved beside the adapter. */
  savedHeads: string[];
}

const none = () => 0;
const FAMILIES: Family[] = [
  { fixture: 'qwen2-tiny', head: 'causal-lm', headParams: none, savedHeads: [] },
  { fixture: 'qwen3-tiny', head: 'causal-lm', headParams: none, savedHeads: [] },
  { fixture: 'mistral-tiny', head: 'causal-lm', headParams: none, savedHeads: [] },
  { fixture: 'gemma-tiny', head: 'causal-lm', headParams: none, savedHeads: [] },
  { fixture: 'phi3-tiny', head: 'causal-lm', headParams: none, savedHeads: [] },
  // score: [d, labels], no bias
  { fixture: 'qwen2-tiny-cls', head: 'sequence-classification', headParams: (c) => c.dModel * c.numLabels!, savedHeads: ['score'] },
  // classifier.dense [d, d] + bias, classifier.out_proj [d, labels] + bias
  { fixture: 'roberta-tiny-cls', head: 'sequence-classification', headParams: (c) => c.dModel * c.dModel + c.dModel + c.dModel * c.numLabels! + c.numLabels!, savedHeads: ['classifier.dense', 'classifier.out_proj'] },
  // pre_classifier [d, d] + bias, classifier [d, labels] + bias
  { fixture: 'distilbert-tiny-cls', head: 'sequence-classification', headParams: (c) => c.dModel * c.dModel + c.dModel + c.dModel * c.numLabels! + c.numLabels!, savedHeads: ['pre_classifier', 'classifier'] },
];

interface Method {
  method: PeftMethodName;
  config: Record<string, unknown>;
  /** The method's own analytical count (the `…ParamCount` formula). */
  count: (model: TransformerModel, config: Record<string, unknown>) => number;
  /** Key prefix of the saved head copies. */
  headPrefix: string;
}

const METHODS: Method[] = [
  { method: 'lora', config: { r: 4, alpha: 8 }, count: (m, c) => loraParamCount(m, c.r as number, DEFAULT_TARGET_MODULES[m.config.family]), headPrefix: 'base_model.model.' },
  { method: 'adapter', config: { placement: 'houlsby', bottleneck: 4, upInitStd: 0.01 }, count: (m, c) => adapterParamCount(AdapterConfigSchema.parse(c), m.config.dModel, m.config.numLayers), headPrefix: 'base_model.' },
  { method: 'prefix', config: { numVirtualTokens: 3 }, count: (m, c) => prefixParamCount(PrefixConfigSchema.parse(c), m.config), headPrefix: 'base_model.' },
  { method: 'prefix', config: { numVirtualTokens: 3, prefixProjection: true, encoderHiddenSize: 8 }, count: (m, c) => prefixParamCount(PrefixConfigSchema.parse(c), m.config), headPrefix: 'base_model.' },
  { method: 'prompt', config: { numVirtualTokens: 3 }, count: (m, c) => promptParamCount(c.numVirtualTokens as number, m.config.dModel), headPrefix: 'base_model.' },
];

/** Tiny data within the fixture's vocabulary: token ids 5…, labels 0..2 for the classifiers. */
function data(head: HeadKind, vocab: number): TokenExample[] {
  return Array.from({ length: 8 }, (_, i) => ({
    inputIds: Array.from({ length: 5 + (i % 3) }, (_, t) => 5 + ((i * 7 + t * 3) % (vocab - 5))),
    ...(head === 'causal-lm' ? {} : { label: i % 3 }),
  }));
}

const size = (m: Map<string, tf.Variable>) => [...m.values()].reduce((n, v) => n + v.size, 0);

describe('every method on every family: analytical counts, finite losses, a frozen base', { timeout: 60_000 }, () => {
  for (const f of FAMILIES) {
    for (const m of METHODS) {
      it(`${f.fixture} ${m.method} ${JSON.stringify(m.config)}`, async () => {
        const { model } = loadHfModel(join(FIXTURES, f.fixture), { head: f.head });
        try {
          const attachment = attachPeft(model, m.method, m.config);
          expect(size(attachment.trainable)).toBe(m.count(model, m.config) + f.headParams(model.config));
          for (const h of f.savedHeads) expect(attachment.trainable.has(`${m.headPrefix}${h}.weight`), h).toBe(true);

          const base = snapshotWeights(model.weights);
          const own = snapshotWeights(attachment.trainable);
          const train = data(f.head, model.config.vocabSize);
          const r = await trainTrial({
            model, attachment, task: f.head, metric: f.head === 'causal-lm' ? 'perplexity' : 'accuracy',
            trainData: train, lr: 1e-2, batchSize: 4, maxSteps: 3, seed: 1, latency: false,
            padTokenId: (model.config.extra.padTokenId as number | undefined) ?? 0,
          });
          expect(r.status, r.reason).toBe('completed');
          expect(r.losses).toHaveLength(3);
          for (const l of r.losses) expect(Number.isFinite(l)).toBe(true);
          // Nothing of the base moves, its head included (the method trains a copy of it).
          expect(changedWeights(model.weights, base)).toEqual([]);
          const moved = changedWeights(attachment.trainable, own);
          expect(moved.length).toBeGreaterThan(0);
          for (const h of f.savedHeads) expect(moved, `head copy ${h}`).toContain(`${m.headPrefix}${h}.weight`);
          attachment.dispose();
        } finally {
          model.dispose();
        }
      });
    }
  }
});

describe('with gradient checkpointing, the head copies train too (they sit outside the recomputed layers)', { timeout: 60_000 }, () => {
  // qwen2-tiny-cls has no dropout, so both runs see the same forward pass (the encoders' dropout
  // masks differ between the checkpointed and the plain forward).
  for (const [method, config] of [['lora', { r: 4 }], ['adapter', { bottleneck: 4, upInitStd: 0.01 }], ['prefix', { numVirtualTokens: 3 }], ['prompt', { numVirtualTokens: 3 }]] as const) {
    it(`qwen2-tiny-cls ${method}: the losses of the plain run, and score's copy moves`, async () => {
      const run = async (gradientCheckpointing: boolean) => {
        const { model } = loadHfModel(join(FIXTURES, 'qwen2-tiny-cls'));
        try {
          const attachment = attachPeft(model, method, config);
          const key = [...attachment.trainable.keys()].find((k) => k.endsWith('score.weight'))!;
          const before = snapshotWeights(new Map([[key, attachment.trainable.get(key)!]]));
          const r = await trainTrial({
            model, attachment, task: 'sequence-classification', metric: 'accuracy', trainData: data('sequence-classification', model.config.vocabSize),
            lr: 1e-2, batchSize: 4, maxSteps: 3, seed: 1, latency: false, gradientCheckpointing,
          });
          expect(changedWeights(new Map([[key, attachment.trainable.get(key)!]]), before)).toEqual([key]);
          attachment.dispose();
          return r.losses;
        } finally {
          model.dispose();
        }
      };
      const plain = await run(false);
      const checkpointed = await run(true);
      checkpointed.forEach((l, i) => expect(Math.abs(l - plain[i])).toBeLessThan(1e-4 * Math.abs(plain[i])));
    });
  }
});

describe('seeded inits', () => {
  it('the default seed 0 draws the same adapter, prefix (table and MLP) and prompt every time (tfjs ignores a 0 seed in randomNormal)', () => {
    const { model } = loadHfModel(join(FIXTURES, 'qwen2-tiny'));
    try {
      for (const [method, config] of [['adapter', { bottleneck: 4, upInitStd: 0.01 }], ['prefix', {}], ['prefix', { prefixProjection: true }], ['prompt', {}]] as const) {
        const draw = () => {
          const a = attachPeft(model, method, config, `${method}-${Math.random()}`);
          const values = snapshotWeights(a.trainable);
          a.dispose();
          return values;
        };
        const first = draw();
        const again = draw();
        for (const [k, v] of first) expect(Array.from(again.get(k)!), `${method} ${k}`).toEqual(Array.from(v));
      }
    } finally {
      model.dispose();
    }
  });
});

describe('the saved head beside adapters, prefixes and prompts', () => {
  // peft 0.21 saves a RobertaForSequenceClassification prompt/prefix (SEQ_CLS) as exactly these keys.
  const peftKeys = ['base_model.classifier.dense.bias', 'base_model.classifier.dense.weight', 'base_model.classifier.out_proj.bias', 'base_model.classifier.out_proj.weight', 'prompt_embeddings'];
  for (const method of ['prompt', 'prefix', 'adapter'] as const) {
    it(`RoBERTa ${method}: peft's key names, nn.Linear's [out, in] layout, modules_to_save in adapter_config.json`, async () => {
      const { model } = loadHfModel(join(FIXTURES, 'roberta-tiny-cls'));
      try {
        const a = attachPeft(model, method, method === 'adapter' ? { bottleneck: 4 } : { numVirtualTokens: 3 }) as SavableAttachment;
        const { safetensors, configJson } = await adapterFiles(a);
        const file = new SafetensorsFile(Buffer.from(safetensors));
        const keys = [...file.entries.keys()].sort();
        const heads = keys.filter((k) => k.startsWith('base_model.'));
        expect(heads).toEqual(peftKeys.filter((k) => k.startsWith('base_model.')));
        if (method !== 'adapter') expect(keys).toEqual(peftKeys);
        const d = model.config.dModel;
        expect(file.entries.get('base_model.classifier.out_proj.weight')!.shape).toEqual([3, d]);
        // Stored as nn.Linear holds it: the base checkpoint's tensor, transposed from the engine's [in, out].
        const saved = file.get('base_model.classifier.out_proj.weight').data;
        const baseT = tf.tidy(() => tf.transpose(model.weights.get('classifier.out_proj.weight')!).dataSync());
        expect(Array.from(saved)).toEqual(Array.from(baseT));
        expect(JSON.parse(configJson)).toMatchObject({ task_type: 'SEQ_CLS', modules_to_save: ['classifier', 'score'] });
        expect(a.storedBytes()).toBe(safetensors.length + Buffer.byteLength(configJson));
        a.dispose();
      } finally {
        model.dispose();
      }
    });
  }

  it('modulesToSave: [] freezes the head (the method alone trains)', () => {
    const { model } = loadHfModel(join(FIXTURES, 'distilbert-tiny-cls'));
    try {
      const a = attachPeft(model, 'prompt', { numVirtualTokens: 3, modulesToSave: [] });
      expect([...a.trainable.keys()]).toEqual(['prompt_embeddings']);
      a.dispose();
    } finally {
      model.dispose();
    }
  });
});
