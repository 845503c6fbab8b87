// Cross-framework check of the LoRA export: Hugging Face `peft` (Python, PyTorch) loads an
// adapter this engine saved, unchanged, and its logits equal ours. Needs a Python with torch,
// transformers and peft: PEFT_LAB_PYTHON, else <repo>/.venv-ref/bin/python (which .ci/run
// installs from pip's local wheels), else python3. Without one the suite is skipped and says why.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHfModel } from '../../hf/model-io.js';
import { batchLogits, FIXTURES, readExpected, relativeError, useTestBackend } from '../../models/test-helpers.js';
import { attachPeft } from '../base.js';
import { saveLoraAdapter, type LoraAttachment } from './index.js';
import { perturb } from './lora-test-helpers.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../../..');
const python = process.env.PEFT_LAB_PYTHON ?? (existsSync(join(REPO, '.venv-ref/bin/python')) ? join(REPO, '.venv-ref/bin/python') : 'python3');
const probe = spawnSync(python, ['-c', 'import torch, transformers, peft; print(peft.__version__)'], { encoding: 'utf8' });
const available = probe.status === 0;
if (!available) console.warn(`python-peft interop skipped: ${python} cannot import torch, transformers and peft`);

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
 * Attaches LoRA (`config`, B perturbed from `seed`) to the model in `base`, saves it, and
 * checks peft's logits against ours for the fixture's rows. Returns our logits.
 */
function exportAndCompare(fixture: string, head: 'causal-lm' | 'sequence-classification', config: Record<string, unknown>, seed: number) {
  const base = join(FIXTURES, fixture);
  const rows = readExpected(fixture).cases.map((c) => c.input_ids);
  const model = loadHfModel(base, { head }).model;
  try {
    const lora = attachPeft(model, 'lora', config) as LoraAttachment;
    perturb(lora, seed);
    const dir = join(tmp, `${fixture}-lora`);
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
describe.skipIf(!available)(`Python peft ${probe.stdout?.trim() ?? ''} loads our LoRA adapters`, () => {
  it('GPT-2 causal LM (rsLoRA on c_attn and mlp.c_proj): same logits as ours', () => {
    exportAndCompare('gpt2-tiny', 'causal-lm', { r: 4, alpha: 8, useRslora: true, targetModules: ['c_attn', 'mlp.c_proj'] }, 7);
  }, 120_000);

  it('BERT sequence classification (classifier saved as modules_to_save): same logits as ours', () => {
    exportAndCompare('bert-tiny-cls', 'sequence-classification', { r: 4, alpha: 16, targetModules: ['query', 'value'] }, 11);
  }, 120_000);
});
