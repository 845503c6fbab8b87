// Cross-framework check of the LoRA export: Hugging Face `peft` (Python, PyTorch) loads an
// adapter this engine saved, unchanged, and its logits equal ours; and the other way, an adapter
// peft wrote loads here with peft's logits. Needs a Python with torch, transformers and peft
// (`../python-reference.ts`: PEFT_LAB_PYTHON, else <repo>/.venv-ref/bin/python, which .ci/run
// installs from pip's local wheels, else python3). Without one the suite is skipped and says why.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHfModel } from '../../hf/model-io.js';
import { batchLogits, FIXTURES, readExpected, relativeError, useTestBackend } from '../../models/test-helpers.js';
import { attachPeft } from '../base.js';
import { python, pythonPeftAvailable as available, pythonPeftVersion, runPythonJson, warnIfNoPythonPeft } from '../python-reference.js';
import { loadLoraAdapter, saveLoraAdapter, type LoraAttachment } from './index.js';
import { perturb } from './lora-test-helpers.js';

warnIfNoPythonPeft('python-peft interop');

// Loads base + adapter with transformers/peft and prints the logits of each row (no padding).
const SCRIPT = `
import json, sys, torch, transformers
from peft import PeftModel
base_dir, adapter_dir, head, rows_file, out_file = sys.argv[1:6]
cls = transformers.AutoModelForCausalLM if head == 'causal-lm' else transformers.AutoModelForSequenceClassification
model = PeftModel.from_pretrained(cls.from_pretrained(base_dir, dtype=torch.float32), adapter_dir).eval()
out = []
with torch.no_grad():
    for ids in json.load(open(rows_file)):
        out.append(model(input_ids=torch.tensor([ids])).logits[0].flatten().tolist())
json.dump(out, open(out_file, 'w'))
`;

const tmp = mkdtempSync(join(tmpdir(), 'peft-interop-'));
beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pythonLogits(base: string, adapter: string, head: string, rows: number[][]): number[][] {
  const rowsFile = join(tmp, `${head}-rows.json`);
  const outFile = join(tmp, `${head}-out.json`);
  writeFileSync(rowsFile, JSON.stringify(rows));
  const r = spawnSync(python, ['-c', SCRIPT, base, adapter, head, rowsFile, outFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python peft failed: ${r.stderr}`);
  return JSON.parse(readFileSync(outFile, 'utf8'));
}

/**
 * Attaches LoRA (`config`, B and any saved heads perturbed from `seed`) to the model in `base`, saves it, and
 * checks peft's logits against ours for the fixture's rows. Returns our logits.
 */
function exportAndCompare(fixture: string, head: 'causal-lm' | 'sequence-classification', config: Record<string, unknown>, seed: number) {
  const base = join(FIXTURES, fixture);
  const rows = readExpected(fixture).cases.map((c) => c.input_ids);
  const model = loadHfModel(base, { head }).model;
  try {
    const lora = attachPeft(model, 'lora', config) as LoraAttachment;
    perturb(lora, seed);
    // The saved heads too, so peft must read them from the file (a copy of its base head would not do).
    let headSeed = seed * 1000;
    for (const [k, v] of lora.trainable) if (!/\.lora_[AB]\./.test(k)) v.assign(tf.tidy(() => v.add(tf.randomNormal(v.shape, 0, 0.2, 'float32', headSeed++))));
    const dir = join(tmp, `${fixture}-lora-${seed}`);
    saveLoraAdapter(lora, dir);
    const ours = rows.map((r) => batchLogits(model, [r])[0]);
    const theirs = pythonLogits(base, dir, head, rows);
    theirs.forEach((t, i) => expect(relativeError(Float32Array.from(t), ours[i])).toBeLessThan(1e-4));
    // The adapter matters: without it the logits differ (so the check above is not vacuous).
    model.hooks = null;
    expect(relativeError(batchLogits(model, [rows[0]])[0], ours[0])).toBeGreaterThan(1e-2);
  } finally {
    model.dispose();
  }
}

// PyTorch's import alone takes seconds: generous timeouts.
describe.skipIf(!available)(`Python peft ${pythonPeftVersion} loads our LoRA adapters`, () => {
  it('GPT-2 causal LM (rsLoRA on c_attn and mlp.c_proj): same logits as ours', () => {
    exportAndCompare('gpt2-tiny', 'causal-lm', { r: 4, alpha: 8, useRslora: true, targetModules: ['c_attn', 'mlp.c_proj'] }, 7);
  }, 120_000);

  it('BERT sequence classification (classifier saved as modules_to_save): same logits as ours', () => {
    exportAndCompare('bert-tiny-cls', 'sequence-classification', { r: 4, alpha: 16, targetModules: ['query', 'value'] }, 11);
  }, 120_000);

  it('Qwen2 causal LM, r 4 on q_proj and v_proj: same logits as ours', () => {
    exportAndCompare('qwen2-tiny', 'causal-lm', { r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'] }, 13);
  }, 120_000);

  it('Qwen2 causal LM, LoRA on all seven projections (q, k, v, o, gate, up, down): same logits as ours', () => {
    exportAndCompare('qwen2-tiny', 'causal-lm', { r: 4, alpha: 16, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] }, 17);
  }, 120_000);

  it('Qwen2 sequence classification (score saved): same logits as ours', () => {
    exportAndCompare('qwen2-tiny-cls', 'sequence-classification', { r: 4, alpha: 8 }, 19);
  }, 120_000);

  it('RoBERTa sequence classification (classifier.dense + out_proj saved under classifier): same logits as ours', () => {
    exportAndCompare('roberta-tiny-cls', 'sequence-classification', { r: 4, alpha: 8 }, 23);
  }, 120_000);

  it('DistilBERT sequence classification (pre_classifier + classifier saved): same logits as ours', () => {
    exportAndCompare('distilbert-tiny-cls', 'sequence-classification', { r: 4, alpha: 8 }, 29);
  }, 120_000);
});

// peft writes a SEQ_CLS LoRA adapter (B and the modules_to_save heads perturbed) and its logits.
const PEFT_WRITES = `
import json, sys, torch, transformers
from peft import LoraConfig, get_peft_model
inp = json.load(open(sys.argv[1]))
torch.manual_seed(inp['seed'])
model = transformers.AutoModelForSequenceClassification.from_pretrained(inp['base'], dtype=torch.float32)
pm = get_peft_model(model, LoraConfig(task_type='SEQ_CLS', r=4, lora_alpha=8, target_modules=inp['targets']))
with torch.no_grad():
    for n, p in pm.named_parameters():
        if 'lora_B' in n or 'modules_to_save' in n:
            p.add_(torch.randn_like(p) * 0.2)
pm.save_pretrained(inp['out'])
pm.eval()
with torch.no_grad():
    logits = [pm(input_ids=torch.tensor([ids])).logits[0].tolist() for ids in inp['rows']]
json.dump({'logits': logits}, open(sys.argv[2], 'w'))
`;

describe.skipIf(!available)(`adapters Python peft ${pythonPeftVersion} wrote load here`, () => {
  const cases: [string, string[]][] = [
    ['roberta-tiny-cls', ['query', 'value']],
    ['distilbert-tiny-cls', ['q_lin', 'v_lin']],
  ];
  for (const [fixture, targets] of cases) {
    it(`${fixture}: peft's SEQ_CLS adapter (its heads in modules_to_save) gives peft's logits`, () => {
      const base = join(FIXTURES, fixture);
      const rows = readExpected(fixture).cases.map((c) => c.input_ids);
      const out = join(tmp, `${fixture}-from-peft`);
      const theirs = runPythonJson<{ logits: number[][] }>(PEFT_WRITES, { base, out, targets, rows, seed: 3 }).logits;
      const model = loadHfModel(base).model;
      try {
        const lora = loadLoraAdapter(model, out);
        expect(lora.savedModules.length).toBe(2);
        rows.forEach((r, i) => expect(relativeError(batchLogits(model, [r])[0], theirs[i])).toBeLessThan(1e-4));
        model.hooks = null;
        expect(relativeError(batchLogits(model, [rows[0]])[0], theirs[0])).toBeGreaterThan(1e-2);
      } finally {
        model.dispose();
      }
    }, 120_000);
  }
});
