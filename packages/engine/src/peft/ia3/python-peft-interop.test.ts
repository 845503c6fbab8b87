// (IA)³ against Hugging Face peft 0.21 (Python, PyTorch): peft's default targets and feed-forward
// modules per family are ours (which modules, which scale their input, the vector shapes and saved
// keys); peft loads adapters this engine saved with our logits (Qwen2, GPT-2's Conv1D, BERT with its
// classifier saved, DistilBERT and Phi-3 with our defaults); and a SEQ_CLS adapter peft wrote loads
// here with peft's logits. Needs the Python that `../python-reference.ts` finds; without one the
// suites are skipped and say why.
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
import { perturbIa3 } from './ia3-test-helpers.js';
import { loadIa3Adapter, saveIa3Adapter, type Ia3Attachment } from './index.js';

warnIfNoPythonPeft('(IA)³ python-peft interop');

const tmp = mkdtempSync(join(tmpdir(), 'ia3-interop-'));
beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HEADER = `
import json, sys, torch, transformers
from peft import IA3Config, PeftModel, get_peft_model
from peft.tuners.ia3 import IA3Layer
inp = json.load(open(sys.argv[1]))
def base_model(path, head):
    cls = transformers.AutoModelForCausalLM if head == 'causal-lm' else transformers.AutoModelForSequenceClassification
    return cls.from_pretrained(path, dtype=torch.float32)
task = lambda head: 'CAUSAL_LM' if head == 'causal-lm' else 'SEQ_CLS'
`;

// peft's defaults on each fixture: targeted modules, whether each is feed-forward, and the saved keys with their shapes.
const DEFAULTS = `${HEADER}
out = {}
for f in inp['fixtures']:
    try:
        pm = get_peft_model(base_model(f['path'], f['head']), IA3Config(task_type=task(f['head'])))
    except ValueError as e:
        out[f['path']] = {'error': str(e)}
        continue
    mods = {n.removeprefix('base_model.model.'): m.is_feedforward for n, m in pm.named_modules() if isinstance(m, IA3Layer)}
    sd = {k: list(v.shape) for k, v in pm.state_dict().items() if 'ia3_l' in k}
    out[f['path']] = {'modules': mods, 'keys': sd}
json.dump(out, open(sys.argv[2], 'w'))
`;

// Loads base + our adapter with peft and returns the logits of each row (no padding).
const LOAD = `${HEADER}
pm = PeftModel.from_pretrained(base_model(inp['base'], inp['head']), inp['adapter']).eval()
with torch.no_grad():
    logits = [pm(input_ids=torch.tensor([ids])).logits[0].flatten().tolist() for ids in inp['rows']]
json.dump({'logits': logits}, open(sys.argv[2], 'w'))
`;

// peft writes a SEQ_CLS (IA)³ adapter (vectors and the modules_to_save heads perturbed) and its logits.
const WRITE = `${HEADER}
torch.manual_seed(inp['seed'])
pm = get_peft_model(base_model(inp['base'], 'sequence-classification'), IA3Config(task_type='SEQ_CLS'))
with torch.no_grad():
    for n, p in pm.named_parameters():
        if 'ia3_l' in n or 'modules_to_save' in n:
            p.add_(torch.randn_like(p) * 0.2)
pm.save_pretrained(inp['out'])
pm.eval()
with torch.no_grad():
    logits = [pm(input_ids=torch.tensor([ids])).logits[0].tolist() for ids in inp['rows']]
json.dump({'logits': logits}, open(sys.argv[2], 'w'))
`;

const FAMILY_FIXTURES: [string, HeadKind][] = [
  ['gpt2-tiny', 'causal-lm'], ['llama-tiny', 'causal-lm'], ['qwen2-tiny', 'causal-lm'], ['qwen3-tiny', 'causal-lm'], ['mistral-tiny', 'causal-lm'],
  ['gemma-tiny', 'causal-lm'], ['phi3-tiny', 'causal-lm'], ['bert-tiny-cls', 'sequence-classification'], ['roberta-tiny-cls', 'sequence-classification'],
  ['distilbert-tiny-cls', 'sequence-classification'],
];

describe.skipIf(!available)(`Python peft ${pythonPeftVersion}: (IA)³ defaults and saved keys per family`, () => {
  it('every family peft maps targets the same modules, feed-forward the same, with the same keys and shapes; phi3 and distilbert have no peft default', () => {
    const theirs = runPythonJson<Record<string, { error?: string; modules?: Record<string, boolean>; keys?: Record<string, number[]> }>>(DEFAULTS, {
      fixtures: FAMILY_FIXTURES.map(([f, head]) => ({ path: join(FIXTURES, f), head })),
    });
    for (const [fixture, head] of FAMILY_FIXTURES) {
      const t = theirs[join(FIXTURES, fixture)];
      const { model } = loadHfModel(join(FIXTURES, fixture), { head });
      try {
        const ia3 = attachPeft(model, 'ia3') as Ia3Attachment;
        if (fixture === 'phi3-tiny' || fixture === 'distilbert-tiny-cls') {
          expect(t.error, fixture).toMatch(/target_modules/);
          continue;
        }
        expect(t.error, fixture).toBeUndefined();
        const ours = Object.fromEntries([...ia3.modules.values()].map((m) => [m.name, m.feedforward]));
        expect(ours, fixture).toEqual(t.modules);
        // peft's state dict keys carry the adapter name; its saved files do not (checked by the load tests below).
        const theirKeys = Object.fromEntries(Object.entries(t.keys!).map(([k, s]) => [k.replace(/\.default$/, ''), s]));
        const ourKeys = Object.fromEntries([...ia3.adapterTensors()].filter(([k]) => k.endsWith('.ia3_l')).map(([k, v]) => [k, v.shape]));
        expect(ourKeys, fixture).toEqual(theirKeys);
      } finally {
        model.dispose();
      }
    }
  }, 180_000);
});

describe.skipIf(!available)(`Python peft ${pythonPeftVersion} loads our (IA)³ adapters`, () => {
  const cases: [string, HeadKind, Record<string, unknown>][] = [
    ['qwen2-tiny', 'causal-lm', {}],
    ['qwen2-tiny', 'causal-lm', { targetModules: ['k_proj', 'v_proj', 'o_proj', 'up_proj', 'down_proj'], feedforwardModules: ['o_proj', 'down_proj'] }],
    ['gpt2-tiny', 'causal-lm', {}],
    ['bert-tiny-cls', 'sequence-classification', {}],
    ['distilbert-tiny-cls', 'sequence-classification', {}],
    ['phi3-tiny', 'causal-lm', {}],
    ['qwen2-tiny-cls', 'sequence-classification', {}],
  ];
  cases.forEach(([fixture, head, config], i) => {
    it(`${fixture} ${JSON.stringify(config)}: same logits as ours`, () => {
      const base = join(FIXTURES, fixture);
      const rows = readExpected(fixture).cases.map((c) => c.input_ids);
      const model = loadHfModel(base, { head }).model;
      try {
        const ia3 = attachPeft(model, 'ia3', config) as Ia3Attachment;
        perturbIa3(ia3, 100 * i + 1);
        // The saved heads too, so peft must read them from the file.
        let headSeed = 1000 * (i + 1);
        for (const [k, v] of ia3.trainable) if (!k.endsWith('.ia3_l')) v.assign(tf.tidy(() => v.add(tf.randomNormal(v.shape, 0, 0.2, 'float32', headSeed++))));
        const dir = join(tmp, `${fixture}-${i}`);
        saveIa3Adapter(ia3, dir);
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

describe.skipIf(!available)(`(IA)³ adapters Python peft ${pythonPeftVersion} wrote load here`, () => {
  for (const fixture of ['bert-tiny-cls', 'roberta-tiny-cls']) {
    it(`${fixture}: peft's SEQ_CLS adapter (its classifier in modules_to_save) gives peft's logits`, () => {
      const base = join(FIXTURES, fixture);
      const rows = readExpected(fixture).cases.map((c) => c.input_ids);
      const out = join(tmp, `${fixture}-from-peft`);
      const theirs = runPythonJson<{ logits: number[][] }>(WRITE, { base, out, rows, seed: 5 }).logits;
      const model = loadHfModel(base).model;
      try {
        const ia3 = loadIa3Adapter(model, out);
        expect(ia3.savedModules.length).toBeGreaterThan(0);
        rows.forEach((r, i) => expect(relativeError(batchLogits(model, [r])[0], theirs[i])).toBeLessThan(1e-4));
        model.hooks = null;
        expect(relativeError(batchLogits(model, [rows[0]])[0], theirs[0])).toBeGreaterThan(1e-2);
      } finally {
        model.dispose();
      }
    }, 120_000);
  }
});
