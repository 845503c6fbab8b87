import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingWeightError, UnsupportedConfigError, WeightShapeError } from '../errors.js';
import { loadHfModel, saveHfModel } from '../hf/model-io.js';
import { serializeSafetensors, SafetensorsFile } from '../hf/safetensors.js';
import { attachPeft } from '../peft/base.js';
import '../peft/full/index.js';
import '../peft/lora/index.js';
import { evaluateExamples } from '../train/metrics.js';
import { trainTrial } from '../train/train-trial.js';
import type { HeadKind, ModelInputs, TransformerModel } from '../types.js';
import { modelLogits } from '../hf/model-logits.js';
import { createModel, normalizeHfConfig } from './registry.js';
import { dense, embeddingLookup } from './shared/ops.js';
import { batchLogits, FIXTURES, maxAbsError, readExpected, relativeError, useTestBackend } from './test-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'models-test-'));
beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const rawConfig = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8'));
const FAMILY_FIXTURE = {
  gpt2: 'gpt2-tiny', bert: 'bert-tiny-cls', llama: 'llama-tiny',
  qwen2: 'qwen2-tiny', qwen3: 'qwen3-tiny', mistral: 'mistral-tiny', gemma: 'gemma-tiny', phi3: 'phi3-tiny',
  roberta: 'roberta-tiny-cls', distilbert: 'distilbert-tiny-cls',
} as const;
const DECODERS = ['gpt2', 'llama', 'qwen2', 'qwen3', 'mistral', 'gemma', 'phi3'] as const;
const ENCODERS = ['bert', 'roberta', 'distilbert'] as const;
const rows = [[5, 17, 42, 9, 3, 77], [8, 2, 11], [60, 61, 62, 63]];

function inputs(ids: number[][]): ModelInputs {
  const seq = Math.max(...ids.map((r) => r.length));
  return {
    inputIds: tf.tensor2d(ids.map((r) => [...r, ...Array(seq - r.length).fill(0)]), undefined, 'int32'),
    attentionMask: tf.tensor2d(ids.map((r) => [...Array(r.length).fill(1), ...Array(seq - r.length).fill(0)]), undefined, 'int32'),
  };
}

describe('heads, padding and hooks on random models', () => {
  const heads: [keyof typeof FAMILY_FIXTURE, HeadKind][] = [
    ...DECODERS.flatMap((f) => (['causal-lm', 'sequence-classification', 'token-classification'] as HeadKind[]).map((h) => [f, h] as [keyof typeof FAMILY_FIXTURE, HeadKind])),
    ...ENCODERS.flatMap((f) => (['sequence-classification', 'token-classification'] as HeadKind[]).map((h) => [f, h] as [keyof typeof FAMILY_FIXTURE, HeadKind])),
  ];
  for (const [family, head] of heads) {
    it(`${family} ${head}: shapes, deterministic init, padded batch = single rows`, () => {
      const config = { ...normalizeHfConfig(rawConfig(FAMILY_FIXTURE[family])), numLabels: 5 };
      const model = createModel(config, head, 3);
      const again = createModel(config, head, 3);
      try {
        const out = tf.tidy(() => model.forward(inputs(rows), { training: false }));
        expect(out.shape).toEqual(head === 'sequence-classification' ? [3, 5] : [3, 6, head === 'causal-lm' ? 400 : 5]);
        out.dispose();
        const batched = batchLogits(model, rows);
        rows.forEach((r, i) => expect(maxAbsError(batched[i], batchLogits(model, [r])[0])).toBeLessThan(1e-5));
        expect(maxAbsError(batchLogits(again, rows)[0], batched[0])).toBe(0);
      } finally {
        model.dispose();
        again.dispose();
      }
    });
  }

  it('a soft prompt keeps token-level shapes and pools the right token; prefixes extend the mask', () => {
    for (const family of [...DECODERS, ...ENCODERS]) {
      for (const head of ['sequence-classification', 'token-classification'] as HeadKind[]) {
        const config = { ...normalizeHfConfig(rawConfig(FAMILY_FIXTURE[family])), numLabels: 3 };
        const model = createModel(config, head, 1);
        const prompt = tf.randomNormal([4, config.dModel], 0, 1, 'float32', 5);
        const prefix = tf.randomNormal([1, config.numKvHeads, 2, config.headDim], 0, 1, 'float32', 6);
        try {
          model.hooks = {
            inputEmbeddings: (e) => tf.concat([tf.tile(prompt.expandDims(0), [e.shape[0], 1, 1]), e], 1),
            attentionPrefix: (_layer, batch) => ({ key: tf.tile(prefix, [batch, 1, 1, 1]), value: tf.tile(prefix, [batch, 1, 1, 1]) }),
          };
          const batched = batchLogits(model, rows);
          rows.forEach((r, i) => {
            const single = batchLogits(model, [r])[0];
            expect(single.length).toBe(head === 'sequence-classification' ? 3 : 3 * r.length);
            expect(maxAbsError(batched[i], single), `${family} ${head} row ${i}`).toBeLessThan(1e-5);
          });
          model.hooks = null;
          expect(maxAbsError(batchLogits(model, rows)[0], batched[0])).toBeGreaterThan(1e-4);
        } finally {
          tf.dispose([prompt, prefix]);
          model.dispose();
        }
      }
    }
  });

  it('a forward pass leaves no tensors behind (base, LoRA, soft prompt)', () => {
    const { model } = loadHfModel(join(FIXTURES, 'llama-tiny'));
    try {
      const run = () => {
        const before = tf.memory().numTensors;
        const x = inputs(rows);
        tf.tidy(() => model.forward(x, { training: false }).dataSync());
        tf.dispose([x.inputIds, x.attentionMask]);
        expect(tf.memory().numTensors).toBe(before);
      };
      run();
      const lora = attachPeft(model, 'lora', { r: 2, targetModules: ['q_proj', 'down_proj'] });
      run();
      lora.dispose();
    } finally {
      model.dispose();
    }
  });
});

describe('custom gradients agree with autodiff', () => {
  it('dense (x·W + b) with trainable W, b', () => {
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', 2), true);
    const b = tf.variable(tf.randomNormal([3], 0, 1, 'float32', 3), true);
    const r = tf.randomNormal([5, 3], 0, 1, 'float32', 4);
    const ours = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(dense(xi as tf.Tensor2D, w as tf.Tensor2D, b as tf.Variable<tf.Rank.R1>), r)))([x, w]);
    const ref = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(xi, wi), b), r)))([x, w]);
    expect(maxAbsError(ours[0].dataSync(), ref[0].dataSync())).toBeLessThan(1e-5);
    const gw = tf.variableGrads(() => tf.sum(tf.mul(dense(x, w as tf.Tensor2D, b as tf.Variable<tf.Rank.R1>), r)), [w, b]);
    const gwRef = tf.variableGrads(() => tf.sum(tf.mul(tf.add(tf.matMul(x, w), b), r)), [w, b]);
    for (const k of Object.keys(gw.grads)) expect(maxAbsError(gw.grads[k].dataSync(), gwRef.grads[k].dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, w, b, r, ...ours, ...ref, ...Object.values(gw.grads), ...Object.values(gwRef.grads)]);
  });

  it('embedding lookup scatters (sums) into repeated rows', () => {
    const table = tf.variable(tf.randomNormal([6, 3], 0, 1, 'float32', 1), true) as tf.Variable<tf.Rank.R2>;
    const ids = tf.tensor2d([[1, 4, 1], [0, 1, 5]], undefined, 'int32');
    const r = tf.randomNormal([2, 3, 3], 0, 1, 'float32', 2);
    const ours = tf.variableGrads(() => tf.sum(tf.mul(embeddingLookup(table, ids), r)), [table]);
    // Reference through a one-hot matMul: tf.gather's own gradient is missing on wasm.
    const ref = tf.variableGrads(() => tf.sum(tf.mul(tf.matMul(tf.oneHot(ids.reshape([-1]), 6).cast('float32'), table).reshape([2, 3, 3]), r)), [table]);
    expect(maxAbsError(ours.grads[table.name].dataSync(), ref.grads[table.name].dataSync())).toBeLessThan(1e-6);
    tf.dispose([table, ids, r, ...Object.values(ours.grads), ...Object.values(ref.grads)]);
  });

  it('full fine-tuning trains every weight, including the embeddings', () => {
    const { model } = loadHfModel(join(FIXTURES, 'gpt2-tiny'));
    try {
      const full = attachPeft(model, 'full');
      expect(full.trainable.size).toBe(model.weights.size);
      expect(full.storedBytes()).toBe(readFileSync(join(FIXTURES, 'gpt2-tiny', 'model.safetensors')).length);
      const before = new Map([...model.weights].map(([k, v]) => [k, v.dataSync().slice()]));
      const x = inputs(rows);
      const opt = tf.train.sgd(0.5);
      tf.tidy(() => {
        opt.minimize(() => tf.mean(tf.square(model.forward(x, { training: true }))) as tf.Scalar, false, [...full.trainable.values()]);
      });
      tf.dispose([x.inputIds, x.attentionMask]);
      for (const [k, v] of model.weights) expect(maxAbsError(v.dataSync(), before.get(k)!), k).toBeGreaterThan(0);
      full.dispose();
      expect([...model.weights.values()].every((v) => !v.trainable)).toBe(true);
    } finally {
      model.dispose();
    }
  });
});

describe('Hugging Face directories', () => {
  for (const name of ['gpt2-tiny', 'bert-tiny-cls', 'llama-tiny', 'qwen2-tiny', 'qwen2-tiny-cls', 'qwen3-tiny', 'mistral-tiny', 'gemma-tiny', 'phi3-tiny', 'roberta-tiny-cls', 'distilbert-tiny-cls']) {
    it(`${name}: save → load gives the same logits and the same tensors`, () => {
      const { model, tokenizer } = loadHfModel(join(FIXTURES, name));
      const dir = join(tmp, name);
      try {
        saveHfModel(model, tokenizer, dir);
        const original = new SafetensorsFile(readFileSync(join(FIXTURES, name, 'model.safetensors')));
        const saved = new SafetensorsFile(readFileSync(join(dir, 'model.safetensors')));
        expect([...saved.entries.keys()].sort()).toEqual([...original.entries.keys()].sort());
        for (const k of original.entries.keys()) expect(maxAbsError(saved.get(k).data, original.get(k).data), k).toBe(0);
        const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
        expect(config.architectures).toEqual(rawConfig(name).architectures);
        const reloaded = loadHfModel(dir);
        expect(reloaded.tokenizer!.encode('The quick brown fox')).toEqual(tokenizer!.encode('The quick brown fox'));
        const a = batchLogits(model, rows);
        batchLogits(reloaded.model, rows).forEach((got, i) => expect(maxAbsError(got, a[i])).toBe(0));
        reloaded.model.dispose();
      } finally {
        model.dispose();
      }
    });
  }

  it('reads F16/BF16 and a sharded index', () => {
    const values = new Float32Array([1, -2.5, 0.333251953125, 65504]);
    const bytes = serializeSafetensors(new Map([['t', { shape: [4], data: values }]]));
    const f32 = new SafetensorsFile(bytes);
    expect(Array.from(f32.get('t').data)).toEqual(Array.from(values));
    // Hand-made F16 and BF16 payloads of the same numbers.
    const f16 = new Uint16Array([0x3c00, 0xc100, 0x3555, 0x7bff]);
    const bf16 = new Uint16Array([0x3f80, 0xc020, 0x3eaa, 0x477f]);
    for (const [dtype, data, want] of [['F16', f16, [1, -2.5, 0.333251953125, 65504]], ['BF16', bf16, [1, -2.5, 0.33203125, 65280]]] as const) {
      const header = new TextEncoder().encode(JSON.stringify({ t: { dtype, shape: [4], data_offsets: [0, 8] } }));
      const buf = new Uint8Array(8 + header.length + 8);
      new DataView(buf.buffer).setBigUint64(0, BigInt(header.length), true);
      buf.set(header, 8);
      buf.set(new Uint8Array(data.buffer), 8 + header.length);
      expect(Array.from(new SafetensorsFile(buf).get('t').data)).toEqual(want);
      // The same bytes read from a file, tensor by tensor (what loading a checkpoint does).
      const path = join(tmp, `${dtype}.safetensors`);
      writeFileSync(path, buf);
      expect(Array.from(SafetensorsFile.read(path).get('t').data)).toEqual(want);
      // A file cut inside its tensor data is refused with the file named, not read as zeros.
      writeFileSync(path, buf.subarray(0, buf.length - 3));
      expect(() => SafetensorsFile.read(path).get('t')).toThrow(/ends inside tensor data/);
      writeFileSync(path, buf.subarray(0, 12));
      expect(() => SafetensorsFile.read(path)).toThrow(/header length/);
    }
    // Split gpt2-tiny into two shards with an index: same logits.
    const src = new SafetensorsFile(readFileSync(join(FIXTURES, 'gpt2-tiny', 'model.safetensors')));
    const dir = join(tmp, 'sharded');
    mkdirSync(dir);
    const names = [...src.entries.keys()];
    const shards = [names.slice(0, 10), names.slice(10)];
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeFileSync(join(dir, file), serializeSafetensors(new Map(shard.map((n) => [n, src.get(n)]))));
      for (const n of shard) weightMap[n] = file;
    });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    copyFileSync(join(FIXTURES, 'gpt2-tiny', 'config.json'), join(dir, 'config.json'));
    const { model } = loadHfModel(dir);
    const e = readExpected('gpt2-tiny');
    expect(relativeError(batchLogits(model, [e.cases[0].input_ids])[0], e.cases[0].logits.flat() as number[])).toBeLessThan(1e-4);
    model.dispose();
  });

  it('errors name the key, the tensor and the shapes', () => {
    const broken = (mutate: (c: Record<string, any>) => void) => {
      const dir = mkdtempSync(join(tmp, 'broken-'));
      const c = rawConfig('llama-tiny');
      mutate(c);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
      copyFileSync(join(FIXTURES, 'llama-tiny', 'model.safetensors'), join(dir, 'model.safetensors'));
      return dir;
    };
    expect(() => loadHfModel(broken((c) => (c.model_type = 'mamba')))).toThrow(UnsupportedConfigError);
    expect(() => loadHfModel(broken((c) => (c.model_type = 'mamba')))).toThrow(/model_type="mamba".*supported: gpt2, bert, llama, qwen2, qwen3, mistral, gemma, phi3, roberta, distilbert/);
    expect(() => loadHfModel(broken((c) => (c.hidden_act = 'relu')))).toThrow(/hidden_act="relu"/);
    expect(() => loadHfModel(broken((c) => (c.rope_parameters = { rope_type: 'yarn', rope_theta: 1e4 })))).toThrow(/rope_type="yarn"/);
    expect(() => loadHfModel(broken((c) => (c.intermediate_size = 100)))).toThrow(WeightShapeError);
    expect(() => loadHfModel(broken((c) => (c.intermediate_size = 100)))).toThrow(/tensor model\.layers\.0\.mlp\.gate_proj\.weight: expected shape \[100, 64\], checkpoint has \[128, 64\]/);
    expect(() => loadHfModel(broken((c) => (c.num_hidden_layers = 3)))).toThrow(MissingWeightError);
    expect(() => loadHfModel(broken((c) => (c.num_hidden_layers = 3)))).toThrow(/model\.layers\.2\.input_layernorm\.weight/);
  });

  it('a causal-LM checkpoint loads with a fresh classification head', () => {
    const { model, config } = loadHfModel(join(FIXTURES, 'gpt2-tiny'), { head: 'sequence-classification', numLabels: 4 });
    expect(config.numLabels).toBe(4);
    expect(model.weights.get('score.weight')!.shape).toEqual([64, 4]);
    expect(batchLogits(model, rows)[0].length).toBe(4);
    model.dispose();
  });

  it('modelLogits returns ids and per-position logits (with and without an adapter)', async () => {
    const e = readExpected('gpt2-tiny-lora-merged');
    const out = await modelLogits({ modelDir: join(FIXTURES, 'gpt2-tiny'), adapterDir: join(FIXTURES, 'gpt2-tiny-lora'), text: e.cases[1].text });
    expect(out.input_ids).toEqual(e.cases[1].input_ids);
    expect(out.logits.length).toBe(e.cases[1].input_ids.length);
    expect(relativeError(out.logits.flat(), e.cases[1].logits.flat() as number[])).toBeLessThan(1e-4);
    const cls = await modelLogits({ modelDir: join(FIXTURES, 'bert-tiny-cls'), text: 'The quick brown fox jumps over the lazy dog.' });
    expect(cls.logits.length).toBe(1);
    expect(maxAbsError(cls.logits[0], readExpected('bert-tiny-cls').cases[0].logits as number[])).toBeLessThanOrEqual(5.1e-6);
  });
});

describe('sequence-classification pooling', () => {
  // A causal decoder's state at position t sees only tokens ≤ t, and the score layer is linear
  // without bias: so mean pooling over a row must equal the mean of last-token logits of its prefixes.
  for (const family of ['gpt2', 'llama'] as const) {
    it(`${family}: 'mean' scores the mean over real tokens, padding ignored`, () => {
      const config = { ...normalizeHfConfig(rawConfig(FAMILY_FIXTURE[family])), numLabels: 3 };
      const last = createModel(config, 'sequence-classification', 4);
      const mean = createModel({ ...config, pooling: 'mean' }, 'sequence-classification', 4);
      try {
        const pooled = batchLogits(mean, rows);
        rows.forEach((r, i) => {
          const prefixes = batchLogits(last, r.map((_, t) => r.slice(0, t + 1)));
          const expected = [0, 1, 2].map((k) => prefixes.reduce((s, p) => s + p[k], 0) / r.length);
          expect(maxAbsError(pooled[i], expected), `row ${i}`).toBeLessThan(1e-5);
        });
        expect(maxAbsError(pooled[0], batchLogits(last, rows)[0])).toBeGreaterThan(1e-4);
      } finally {
        last.dispose();
        mean.dispose();
      }
    });
  }

  it('last-token pooling of a one-token input (tf.oneHot refuses depth 1) equals the token padded to two', () => {
    const model = createModel({ ...normalizeHfConfig(rawConfig('gpt2-tiny')), numLabels: 2 }, 'sequence-classification', 2);
    try {
      const one = batchLogits(model, [[42]])[0];
      expect(one).toHaveLength(2);
      expect(maxAbsError(one, batchLogits(model, [[42], [7, 8]])[0])).toBeLessThan(1e-6);
    } finally {
      model.dispose();
    }
  });

  it('survives save and load; BERT refuses mean pooling naming the field', () => {
    const config = { ...normalizeHfConfig(rawConfig('gpt2-tiny')), numLabels: 2, pooling: 'mean' as const };
    const model = createModel(config, 'sequence-classification', 2);
    const dir = join(tmp, 'mean-pooled');
    try {
      saveHfModel(model, null, dir);
      expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).peft_lab_pooling).toBe('mean');
      const reloaded = loadHfModel(dir).model;
      expect(maxAbsError(batchLogits(reloaded, rows)[1], batchLogits(model, rows)[1])).toBe(0);
      reloaded.dispose();
      const asLast = loadHfModel(dir, { pooling: 'last' }).model;
      saveHfModel(asLast, null, dir);
      expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).peft_lab_pooling).toBeUndefined();
      asLast.dispose();
    } finally {
      model.dispose();
    }
    const bert = { ...normalizeHfConfig(rawConfig('bert-tiny-cls')), numLabels: 2, pooling: 'mean' as const };
    expect(() => createModel(bert, 'sequence-classification', 1)).toThrow(UnsupportedConfigError);
    expect(() => createModel(bert, 'sequence-classification', 1)).toThrow(/pooling="mean".*pooler/);
  });
});

describe('full fine-tuning trains every family (a few AdamW steps on the fixture texts lower the loss)', () => {
  const cases: [string, HeadKind][] = [
    ['qwen2-tiny', 'causal-lm'], ['qwen2-tiny-cls', 'sequence-classification'], ['qwen3-tiny', 'causal-lm'], ['mistral-tiny', 'causal-lm'],
    ['gemma-tiny', 'causal-lm'], ['phi3-tiny', 'causal-lm'], ['llama-tiny-bf16-sharded', 'causal-lm'],
    ['roberta-tiny-cls', 'sequence-classification'], ['roberta-tiny-cls', 'token-classification'],
    ['distilbert-tiny-cls', 'sequence-classification'], ['distilbert-tiny-cls', 'token-classification'],
  ];
  for (const [name, head] of cases) {
    it(`${name} ${head}`, async () => {
      const { model, tokenizer, config } = loadHfModel(join(FIXTURES, name), { head, ...(head === 'token-classification' ? { numLabels: 3 } : {}) });
      try {
        const labels = config.numLabels ?? 3;
        const attachment = attachPeft(model, 'full');
        const ids = readExpected(name).cases.map((c) => c.input_ids.slice(0, 24));
        // Classification: one label per text (sequence) or per position (tokens); causal LM: the texts themselves.
        const data = ids.map((inputIds, i) => ({
          inputIds,
          ...(head === 'sequence-classification' ? { label: i % labels } : head === 'token-classification' ? { label: inputIds.map((t) => t % labels) } : {}),
        }));
        const padTokenId = tokenizer!.padTokenId ?? 0;
        // Judged on the loss without dropout (what evaluation computes) before and after. A tiny random
        // encoder's [CLS] state barely differs between texts, so sequence classification takes more
        // steps and a larger rate (warmed up) to move off chance.
        const seqCls = head === 'sequence-classification';
        const before = (await evaluateExamples(model, head, data, { batchSize: 3, padTokenId })).loss;
        const r = await trainTrial({
          model, attachment, task: head, metric: head === 'causal-lm' ? 'perplexity' : head === 'token-classification' ? 'token-accuracy' : 'accuracy',
          trainData: [...data, ...data], batchSize: 3, seed: 1, weightDecay: 0, latency: false, padTokenId,
          ...(seqCls ? { lr: 1e-2, maxSteps: 20, warmupSteps: 4 } : { lr: 3e-3, maxSteps: 8 }),
        });
        const after = (await evaluateExamples(model, head, data, { batchSize: 3, padTokenId })).loss;
        expect(r.status).toBe('completed');
        expect(r.losses.every(Number.isFinite)).toBe(true);
        expect(r.measurements.trainableShare).toBe(1);
        expect(after, `${before} → ${after}; training losses ${r.losses.join(', ')}`).toBeLessThan(before * (seqCls ? 0.8 : 0.9));
        attachment.dispose();
      } finally {
        model.dispose();
      }
    }, 60_000); // 20 steps on the cpu backend: seconds on a quiet machine, more on a shared one
  }
});
