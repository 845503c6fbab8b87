import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadHfModel, readHfConfig } from '../hf/model-io.js';
import { normalizeHfConfig } from '../models/registry.js';
import { attachPeft } from '../peft/base.js';
import '../peft/full/index.js';
import '../peft/lora/index.js';
import '../peft/adapter/index.js';
import '../peft/prefix/index.js';
import '../peft/prompt/index.js';
import '../peft/ia3/index.js';
import type { HeadKind, PeftMethodName } from '../types.js';
import { estimateTrainingMemory, MEMORY_METHODS, RUNTIME_OVERHEAD_BYTES } from './memory-estimate.js';
import { availableMemory, cgroupMemoryLimit, checkTrainingMemory, formatBytes, InsufficientMemoryError, MEMORY_LIMIT_ENV, MemoryLimitConfigError } from './memory-check.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const FIXTURES = join(import.meta.dirname, '../../test-fixtures');
const MiB = 2 ** 20;

/** GPT-2 small's real config (the 124M checkpoint of bench/make-gpt2-checkpoint.py); no weights needed. */
const GPT2_124M = normalizeHfConfig({
  model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null,
  activation_function: 'gelu_new', resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1, layer_norm_epsilon: 1e-5, initializer_range: 0.02,
});

const gpt2 = (method: PeftMethodName, batchSize = 8, seqLen = 128, extra: Partial<Parameters<typeof estimateTrainingMemory>[0]> = {}) =>
  estimateTrainingMemory({ config: GPT2_124M, head: 'causal-lm', method, batchSize, seqLen, methodConfig: method === 'lora' ? { r: 8, alpha: 16 } : {}, ...extra });

describe('estimateTrainingMemory', () => {
  it('GPT-2 124M: parameter count and weights, and the calibration (tensors at the end of the forward pass, batch 8 × 128)', () => {
    const lora = gpt2('lora');
    const full = gpt2('full');
    expect(lora.parameterCount).toBe(124_439_808);
    expect(lora.bytes.weights).toBe(124_439_808 * 4);
    expect(lora.trainableParams).toBe(12 * 8 * (768 + 3 * 768));
    expect(full.trainableParams).toBe(124_439_808);
    // Measured: 1,465 MiB held with LoRA r 8 (475 of them weights), 1,680 MiB with full fine-tuning.
    const held = (e: typeof lora) => (e.bytes.weights + e.bytes.trainableParams + e.bytes.activations) / MiB;
    expect(held(lora)).toBeGreaterThan(1465 * 0.98);
    expect(held(lora)).toBeLessThan(1465 * 1.02);
    expect(held(full)).toBeGreaterThan(1680 * 0.98);
    expect(held(full)).toBeLessThan(1680 * 1.02);
  });

  it('full fine-tuning needs more than every PEFT method; the parts add up to the total', () => {
    const full = gpt2('full');
    for (const method of MEMORY_METHODS.filter((m) => m !== 'full')) {
      const e = gpt2(method);
      expect(e.bytes.total, method).toBeLessThan(full.bytes.total);
      expect(e.bytes.gradientsAndOptimizer, method).toBeLessThan(full.bytes.gradientsAndOptimizer);
      // (IA)³'s backward pass keeps each scaled tensor: c_attn's 2304-wide output before the scaling and
      // mlp.c_proj's input, per token and layer as many elements as full fine-tuning's linear inputs.
      expect(e.bytes.activations, method).toBeLessThan(full.bytes.activations * (method === 'ia3' ? 1.01 : 1));
    }
    for (const e of [full, gpt2('lora'), gpt2('prompt')]) {
      const b = e.bytes;
      expect(b.total).toBe(b.weights + b.trainableParams + b.gradientsAndOptimizer + b.activations + b.checkpoint + b.runtime);
      expect(b.runtime).toBe(RUNTIME_OVERHEAD_BYTES);
      expect(b.gradientsAndOptimizer).toBe(3 * 4 * e.trainableParams);
      expect(b.checkpoint).toBe(2 * 3 * 4 * e.trainableParams);
    }
    expect(full.bytes.trainableParams).toBe(0); // full trains the weights themselves
  });

  it('activations scale with the batch and the sequence; the rest does not change with them', () => {
    for (const method of MEMORY_METHODS) {
      const [b4, b8, b16] = [4, 8, 16].map((b) => gpt2(method, b));
      expect(b8.bytes.total, method).toBeGreaterThan(b4.bytes.total);
      expect(b16.bytes.total, method).toBeGreaterThan(b8.bytes.total);
      // Linear in the batch: the same increment per 4 examples (attention is per example).
      expect(b16.bytes.activations - b8.bytes.activations).toBeCloseTo(2 * (b8.bytes.activations - b4.bytes.activations), -3);
      expect(b16.bytes.weights).toBe(b4.bytes.weights);
      expect(b16.bytes.gradientsAndOptimizer).toBe(b4.bytes.gradientsAndOptimizer);
      expect(gpt2(method, 8, 256).bytes.activations, method).toBeGreaterThan(b8.bytes.activations);
    }
  });

  it('gradient checkpointing cuts LoRA activations; without checkpoints nothing is counted for them', () => {
    expect(gpt2('lora', 8, 128, { gradientCheckpointing: true }).bytes.activations).toBeLessThan(gpt2('lora').bytes.activations * 0.7);
    expect(gpt2('full', 8, 128, { checkpoints: false }).bytes.checkpoint).toBe(0);
  });

  it('rejects an unknown method or a bad size, and a LoRA target the model does not have', () => {
    expect(() => gpt2('sparse' as PeftMethodName)).toThrow(/method "sparse": expected one of full, lora/);
    expect(() => gpt2('lora', 0)).toThrow(/batchSize 0/);
    expect(() => gpt2('lora', 8, 128, { methodConfig: { targetModules: ['q_proj'] } })).toThrow(/q_proj.*matches no linear module/);
  });
});

describe('trainable and total counts equal the engine’s after loading (tiny fixtures)', () => {
  const cases: [string, HeadKind, PeftMethodName, Record<string, unknown>][] = [
    ['gpt2-tiny', 'causal-lm', 'full', {}],
    ['gpt2-tiny', 'causal-lm', 'lora', {}],
    ['gpt2-tiny', 'causal-lm', 'lora', { r: 4, targetModules: ['c_attn', 'c_fc', 'attn.c_proj'] }],
    ['gpt2-tiny', 'causal-lm', 'adapter', {}],
    ['gpt2-tiny', 'causal-lm', 'adapter', { placement: 'houlsby', bottleneck: 8 }],
    ['gpt2-tiny', 'causal-lm', 'prefix', { numVirtualTokens: 5 }],
    ['gpt2-tiny', 'causal-lm', 'prefix', { numVirtualTokens: 5, prefixProjection: true, encoderHiddenSize: 16 }],
    ['gpt2-tiny', 'causal-lm', 'prompt', { numVirtualTokens: 7 }],
    ['gpt2-tiny', 'sequence-classification', 'lora', {}],
    ['gpt2-tiny', 'sequence-classification', 'full', {}],
    ['gpt2-tiny', 'sequence-classification', 'prompt', {}],
    ['bert-tiny-cls', 'sequence-classification', 'lora', { r: 2 }],
    ['bert-tiny-cls', 'sequence-classification', 'full', {}],
    ['bert-tiny-cls', 'token-classification', 'adapter', { reductionFactor: 4 }],
    ['llama-tiny', 'causal-lm', 'lora', {}],
    ['llama-tiny', 'causal-lm', 'full', {}],
    ['llama-tiny', 'causal-lm', 'prefix', {}],
    ['qwen2-tiny', 'causal-lm', 'full', {}],
    ['qwen2-tiny', 'causal-lm', 'lora', {}],
    ['qwen2-tiny', 'sequence-classification', 'lora', {}],
    ['qwen3-tiny', 'causal-lm', 'lora', { targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }],
    ['qwen3-tiny', 'causal-lm', 'prefix', { numVirtualTokens: 4 }],
    ['mistral-tiny', 'causal-lm', 'full', {}],
    ['gemma-tiny', 'causal-lm', 'lora', {}],
    ['gemma-tiny', 'causal-lm', 'prompt', { numVirtualTokens: 5 }],
    ['phi3-tiny', 'causal-lm', 'lora', {}],
    ['phi3-tiny', 'causal-lm', 'lora', { targetModules: ['qkv_proj', 'gate_up_proj'] }],
    ['phi3-tiny', 'causal-lm', 'adapter', {}],
    ['roberta-tiny-cls', 'sequence-classification', 'lora', {}],
    ['roberta-tiny-cls', 'token-classification', 'full', {}],
    ['distilbert-tiny-cls', 'sequence-classification', 'lora', {}],
    ['distilbert-tiny-cls', 'token-classification', 'adapter', { reductionFactor: 4 }],
    ['llama-tiny-bf16-sharded', 'causal-lm', 'full', {}],
    ['gpt2-tiny', 'causal-lm', 'ia3', {}],
    ['qwen2-tiny', 'causal-lm', 'lora', { useDora: true }],
    ['gpt2-tiny', 'sequence-classification', 'lora', { useDora: true, targetModules: ['c_attn', 'c_fc'] }],
    ['qwen2-tiny', 'causal-lm', 'ia3', { targetModules: ['k_proj', 'v_proj', 'o_proj', 'down_proj'], feedforwardModules: ['o_proj', 'down_proj'] }],
    ['bert-tiny-cls', 'sequence-classification', 'ia3', {}],
    ['phi3-tiny', 'causal-lm', 'ia3', {}],
  ];
  const open: { dispose(): void }[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.dispose();
  });

  for (const [fixture, head, method, methodConfig] of cases) {
    it(`${fixture} ${head} ${method} ${JSON.stringify(methodConfig)}`, () => {
      const dir = join(FIXTURES, fixture);
      const numLabels = head === 'causal-lm' ? undefined : 3;
      const config = { ...normalizeHfConfig(readHfConfig(dir)), ...(numLabels ? { numLabels } : {}) };
      const e = estimateTrainingMemory({ config, head, method, batchSize: 2, seqLen: 16, methodConfig });
      const { model } = loadHfModel(dir, { head, numLabels });
      open.push(model);
      const attachment = attachPeft(model, method, methodConfig);
      open.unshift(attachment);
      const base = [...model.weights.values()].reduce((n, v) => n + v.size, 0);
      const trainable = [...attachment.trainable.values()].reduce((n, v) => n + v.size, 0);
      expect(e.parameterCount).toBe(base);
      expect(e.trainableParams).toBe(trainable);
      expect(e.bytes.trainableParams).toBe(method === 'full' ? 0 : 4 * trainable);
    });
  }
});

describe('the families of issue #12', () => {
  const decoder = { vocab_size: 32000, hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 8, num_attention_heads: 16, num_key_value_heads: 8, max_position_embeddings: 4096 };
  const est = (raw: Record<string, unknown>, method: PeftMethodName = 'full', methodConfig: Record<string, unknown> = {}) =>
    estimateTrainingMemory({ config: normalizeHfConfig(raw), head: 'causal-lm', method, batchSize: 4, seqLen: 256, methodConfig });

  it('Llama-shaped families at Llama geometry estimate like Llama; q/k norms and a wider head_dim add activations', () => {
    const llama = est({ ...decoder, model_type: 'llama' });
    const qwen2 = est({ ...decoder, model_type: 'qwen2' });
    const mistral = est({ ...decoder, model_type: 'mistral', sliding_window: 1024 });
    // Qwen2's q/k/v biases are the only difference in weights.
    expect(qwen2.parameterCount - llama.parameterCount).toBe(8 * (1024 + 2 * 512));
    expect(qwen2.bytes.activations / llama.bytes.activations).toBeCloseTo(1, 2);
    expect(mistral.bytes.activations).toBe(llama.bytes.activations);
    // Qwen3 at head_dim 64 = d/H: only the q/k norms (and their weights) differ from Llama.
    const qwen3 = est({ ...decoder, model_type: 'qwen3', head_dim: 64 });
    expect(qwen3.parameterCount - llama.parameterCount).toBe(8 * 2 * 64);
    expect(qwen3.bytes.activations).toBeGreaterThan(llama.bytes.activations);
    // An explicit head_dim twice d/H (Qwen3's default 128 here) widens attention: more again.
    expect(est({ ...decoder, model_type: 'qwen3', head_dim: 128 }).bytes.activations).toBeGreaterThan(qwen3.bytes.activations);
  });

  it('phi3: fused qkv_proj / gate_up_proj hold the same parameters as Llama; LoRA targets qkv_proj by default', () => {
    const phi3 = est({ ...decoder, model_type: 'phi3' });
    expect(phi3.parameterCount).toBe(est({ ...decoder, model_type: 'llama' }).parameterCount);
    const lora = est({ ...decoder, model_type: 'phi3' }, 'lora', { r: 8 });
    expect(lora.trainableParams).toBe(8 * 8 * (1024 + 1024 + 2 * 512));
  });

  it('an untied LM head keeps the chunked loss under LoRA unless LoRA saves lm_head', () => {
    const raw = { ...decoder, model_type: 'mistral' };
    const plain = est(raw, 'lora', { r: 8 });
    const savedHead = est(raw, 'lora', { r: 8, modulesToSave: ['lm_head'] });
    const T = 4 * 256;
    // The saved head: its weights train (V·d, plus their saved input) and the whole logits exist (8·T·V).
    expect(savedHead.bytes.activations - plain.bytes.activations).toBeGreaterThanOrEqual(4 * 8 * T * 32000);
  });
});

describe('checkTrainingMemory', () => {
  const saved = process.env[MEMORY_LIMIT_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[MEMORY_LIMIT_ENV];
    else process.env[MEMORY_LIMIT_ENV] = saved;
  });

  it(`fails before loading with the model, its parameter count, the method and both numbers when ${MEMORY_LIMIT_ENV} is tiny`, () => {
    process.env[MEMORY_LIMIT_ENV] = '1000000';
    const e = gpt2('full');
    let err: unknown;
    try {
      checkTrainingMemory(e, { model: '/models/gpt2-124m' });
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(InsufficientMemoryError);
    const m = err as InsufficientMemoryError;
    expect(m.code).toBe('INSUFFICIENT_MEMORY');
    expect(m.neededBytes).toBe(e.bytes.total);
    expect(m.availableBytes).toBe(1_000_000);
    expect(m.message).toContain('model /models/gpt2-124m (gpt2, 124,439,808 parameters');
    expect(m.message).toContain('full fine-tuning at batch 8 × 128 tokens');
    expect(m.message).toContain(`needs an estimated ${formatBytes(e.bytes.total)}`);
    expect(m.message).toContain(`but ${formatBytes(1_000_000)} is available (${MEMORY_LIMIT_ENV})`);
    expect(m.message).toContain('a PEFT method');
  });

  it('passes (and says what is available) when the estimate fits; a bad limit is refused naming the variable', () => {
    process.env[MEMORY_LIMIT_ENV] = String(64 * 2 ** 30);
    expect(checkTrainingMemory(gpt2('lora'), { model: 'm' })).toEqual({ bytes: 64 * 2 ** 30, source: MEMORY_LIMIT_ENV });
    expect(() => checkTrainingMemory(gpt2('lora'), { model: 'm', available: 10 })).toThrow(InsufficientMemoryError);
    process.env[MEMORY_LIMIT_ENV] = '4GB';
    expect(() => availableMemory()).toThrow(MemoryLimitConfigError);
    expect(() => availableMemory()).toThrow(`${MEMORY_LIMIT_ENV}="4GB": must be a number of bytes`);
  });

  it('reads the cgroup limit when it is a number, and otherwise physical memory minus RSS', () => {
    expect(cgroupMemoryLimit(() => '4294967296\n')).toBe(4294967296);
    expect(cgroupMemoryLimit(() => 'max\n')).toBeNull();
    expect(cgroupMemoryLimit(() => '9223372036854771712')).toBeNull(); // cgroup v1's "unlimited"
    expect(cgroupMemoryLimit(() => { throw new Error('ENOENT'); })).toBeNull();
    delete process.env[MEMORY_LIMIT_ENV];
    const a = availableMemory();
    expect(a.bytes).toBeGreaterThan(0);
    expect(a.source).toMatch(/RSS/);
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(475 * MiB)).toBe('475 MiB');
    expect(formatBytes(3 * 2 ** 30)).toBe('3.00 GiB');
  });
});
