// DoRA against Hugging Face peft 0.21 (Python, PyTorch): peft loads DoRA adapters this engine saved
// (Qwen2, GPT-2's Conv1D, the BERT classifier with its head) with our logits; on the peft-written
// qwen2-tiny-dora adapter the gradients of A, B and the magnitudes equal peft's (what peft detaches
// is detached here), and peft's merge_and_unload gives our merged weights. Needs the Python that
// `../python-reference.ts` finds; without one the suites are skipped and say why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHfModel } from '../../hf/model-io.js';
import { batchLogits, FIXTURES, readExpected, relativeError, useTestBackend } from '../../models/test-helpers.js';
import type { HeadKind } from '../../types.js';
import { attachPeft } from '../base.js';
import { pythonPeftAvailable as available, pythonPeftVersion, runPythonJson, warnIfNoPythonPeft } from '../python-reference.js';
import { loadLoraAdapter, saveLoraAdapter, type LoraAttachment } from './index.js';
import { perturb } from './lora-test-helpers.js';

warnIfNoPythonPeft('DoRA python-peft interop');

const tmp = mkdtempSync(join(tmpdir(), 'dora-interop-'));
beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HEADER = `
import json, sys, torch, transformers
from peft import PeftModel
inp = json.load(open(sys.argv[1]))
cls = transformers.AutoModelForCausalLM if inp['head'] == 'causal-lm' else transformers.AutoModelForSequenceClassification
base = cls.from_pretrained(inp['base'], dtype=torch.float32)
`;

const LOAD = `${HEADER}
pm = PeftModel.from_pretrained(base, inp['adapter']).eval()
assert pm.peft_config['default'].use_dora
with torch.no_grad():
    logits = [pm(input_ids=torch.tensor([ids])).logits[0].flatten().tolist() for ids in inp['rows']]
json.dump({'logits': logits}, open(sys.argv[2], 'w'))
`;

// Gradients of sum(logits ⊙ probe) for every trainable parameter (train mode; the fixture has no dropout), then the merged weights.
const GRADS = `${HEADER}
pm = PeftModel.from_pretrained(base, inp['adapter'], is_trainable=True)
pm.train()
logits = pm(input_ids=torch.tensor([inp['row']])).logits[0]
(logits * torch.tensor(inp['probe'])).sum().backward()
grads = {n.replace('.default', ''): p.grad.flatten().tolist() for n, p in pm.named_parameters() if p.requires_grad}
merged = pm.merge_and_unload()
weights = {n: p.detach().flatten().tolist() for n, p in merged.named_parameters() if n.endswith(('q_proj.weight', 'v_proj.weight'))}
json.dump({'grads': grads, 'weights': weights}, open(sys.argv[2], 'w'))
`;

describe.skipIf(!available)(`Python peft ${pythonPeftVersion} loads our DoRA adapters`, () => {
  const cases: [string, HeadKind, Record<string, unknown>][] = [
    ['qwen2-tiny', 'causal-lm', { r: 4, alpha: 8, useDora: true }],
    ['qwen2-tiny', 'causal-lm', { r: 4, alpha: 16, useDora: true, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] }],
    ['gpt2-tiny', 'causal-lm', { r: 4, alpha: 8, useDora: true, targetModules: ['c_attn', 'mlp.c_proj'] }],
    ['bert-tiny-cls', 'sequence-classification', { r: 4, alpha: 8, useDora: true }],
  ];
  cases.forEach(([fixture, head, config], i) => {
    it(`${fixture} ${JSON.stringify(config)}: same logits as ours`, () => {
      const base = join(FIXTURES, fixture);
      const rows = readExpected(fixture).cases.map((c) => c.input_ids);
      const model = loadHfModel(base, { head }).model;
      try {
        const lora = attachPeft(model, 'lora', config) as LoraAttachment;
        perturb(lora, 31 + i);
        let seed = 1000 * (i + 1);
        for (const [k, v] of lora.trainable) {
          if (k.endsWith('.lora_magnitude_vector')) v.assign(tf.tidy(() => tf.mul(v, tf.randomUniform(v.shape, 0.7, 1.3, 'float32', seed++))));
          else if (!/\.lora_[AB]\./.test(k)) v.assign(tf.tidy(() => v.add(tf.randomNormal(v.shape, 0, 0.2, 'float32', seed++)))); // saved heads
        }
        const dir = join(tmp, `${fixture}-${i}`);
        saveLoraAdapter(lora, dir);
        const ours = rows.map((r) => batchLogits(model, [r])[0]);
        const theirs = runPythonJson<{ logits: number[][] }>(LOAD, { base, adapter: dir, head, rows }).logits;
        theirs.forEach((t, j) => expect(relativeError(Float32Array.from(t), ours[j])).toBeLessThan(1e-4));
        model.hooks = null;
        expect(relativeError(batchLogits(model, [rows[0]])[0], ours[0])).toBeGreaterThan(1e-2);
      } finally {
        model.dispose();
      }
    }, 120_000);
  });
});

describe.skipIf(!available)(`DoRA gradients and merge against Python peft ${pythonPeftVersion}`, () => {
  it('qwen2-tiny-dora: the gradients of A, B and m equal peft\'s (1e-4), and peft\'s merge_and_unload equals our merged weights', () => {
    const base = join(FIXTURES, 'qwen2-tiny');
    const adapter = join(FIXTURES, 'qwen2-tiny-dora');
    const row = readExpected('qwen2-tiny-dora').cases[0].input_ids;
    const model = loadHfModel(base).model;
    try {
      const lora = loadLoraAdapter(model, adapter);
      const vocab = model.config.vocabSize;
      const probe = tf.tidy(() => tf.randomNormal([row.length, vocab], 0, 1, 'float32', 42));
      const probeRows = probe.arraySync() as number[][];
      const theirs = runPythonJson<{ grads: Record<string, number[]>; weights: Record<string, number[]> }>(GRADS, { base, adapter, head: 'causal-lm', row, probe: probeRows });
      const vars = [...lora.trainable.values()];
      const { grads } = tf.variableGrads(() => {
        const inputIds = tf.tensor2d([row], undefined, 'int32');
        const logits = model.forward({ inputIds, attentionMask: tf.onesLike(inputIds) }, { training: true });
        return tf.sum(tf.mul(logits.reshape([row.length, vocab]), probe)) as tf.Scalar;
      }, vars);
      // peft's parameter names: lora_A.weight, lora_B.weight, lora_magnitude_vector.weight.
      expect(Object.keys(theirs.grads).length).toBe(lora.trainable.size);
      for (const [key, v] of lora.trainable) {
        const theirKey = key.endsWith('.lora_magnitude_vector') ? `${key}.weight` : key;
        expect(theirs.grads[theirKey], theirKey).toBeDefined();
        expect(relativeError(grads[v.name].dataSync(), theirs.grads[theirKey]), key).toBeLessThan(1e-4);
      }
      tf.dispose([probe, ...Object.values(grads)]);

      lora.merge();
      for (const m of lora.modules.values()) {
        const ours = tf.tidy(() => tf.transpose(model.weights.get(`${m.name}.weight`)!).dataSync()); // [out, in] as torch holds it
        expect(relativeError(ours, theirs.weights[`${m.name}.weight`]), m.name).toBeLessThan(1e-5);
      }
    } finally {
      model.dispose();
    }
  }, 120_000);
});
