// Cross-framework check of saving (toHfConfig + saveHfModel) for the families of issue #12:
// transformers loads a model this engine saved (config.json it wrote, every weight perturbed so
// biases, norms and heads matter) with the class our `architectures` names, finds every weight
// (no missing or unexpected keys), and its logits equal ours. Needs a Python with torch and
// transformers: PEFT_LAB_PYTHON, else <repo>/.venv-ref/bin/python, else python3; without one the
// suite is skipped and says why.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveHfModel } from '../hf/model-io.js';
import type { HeadKind } from '../types.js';
import { createModel, normalizeHfConfig } from './registry.js';
import { batchLogits, FIXTURES, readExpected, relativeError, useTestBackend } from './test-helpers.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const python = process.env.PEFT_LAB_PYTHON ?? (existsSync(join(REPO, '.venv-ref/bin/python')) ? join(REPO, '.venv-ref/bin/python') : 'python3');
const probe = spawnSync(python, ['-c', 'import torch, transformers; print(transformers.__version__)'], { encoding: 'utf8' });
const available = probe.status === 0;
if (!available) console.warn(`transformers export interop skipped: ${python} cannot import torch and transformers`);

// Loads each saved directory with the Auto class of its head and prints the class, the loading
// report and the logits of each row (one row at a time, no padding).
const SCRIPT = `
import json, sys, torch, transformers
jobs, out_file = json.load(open(sys.argv[1])), sys.argv[2]
auto = {'causal-lm': transformers.AutoModelForCausalLM, 'sequence-classification': transformers.AutoModelForSequenceClassification,
        'token-classification': transformers.AutoModelForTokenClassification}
out = []
for job in jobs:
    model, info = auto[job['head']].from_pretrained(job['dir'], dtype=torch.float32, attn_implementation='eager', output_loading_info=True)
    model.eval()
    with torch.no_grad():
        logits = [model(input_ids=torch.tensor([ids])).logits[0].flatten().tolist() for ids in job['rows']]
    out.append({'cls': type(model).__name__, 'missing': sorted(info['missing_keys']), 'unexpected': sorted(info['unexpected_keys']), 'logits': logits})
json.dump(out, open(out_file, 'w'))
`;

interface Case {
  fixture: string;
  head: HeadKind;
  /** config.json keys changed before the model is built (a variant the fixture does not have). */
  overrides?: Record<string, unknown>;
}

const CASES: Case[] = [
  { fixture: 'qwen2-tiny', head: 'causal-lm' },
  { fixture: 'qwen2-tiny', head: 'sequence-classification' },
  { fixture: 'qwen2-tiny', head: 'token-classification' },
  { fixture: 'qwen2-tiny', head: 'causal-lm', overrides: { tie_word_embeddings: false, use_sliding_window: true, sliding_window: 6, max_window_layers: 1, layer_types: undefined } },
  { fixture: 'qwen3-tiny', head: 'causal-lm' },
  { fixture: 'qwen3-tiny', head: 'sequence-classification' },
  { fixture: 'mistral-tiny', head: 'causal-lm', overrides: { sliding_window: 6 } },
  { fixture: 'mistral-tiny', head: 'token-classification' },
  { fixture: 'gemma-tiny', head: 'causal-lm' },
  { fixture: 'gemma-tiny', head: 'sequence-classification' },
  { fixture: 'phi3-tiny', head: 'causal-lm' },
  { fixture: 'phi3-tiny', head: 'causal-lm', overrides: { rope_parameters: { rope_theta: 10000, rope_type: 'default', partial_rotary_factor: 0.5 } } },
  { fixture: 'phi3-tiny', head: 'sequence-classification' },
  { fixture: 'roberta-tiny-cls', head: 'sequence-classification' },
  { fixture: 'roberta-tiny-cls', head: 'token-classification' },
  { fixture: 'distilbert-tiny-cls', head: 'sequence-classification' },
  { fixture: 'distilbert-tiny-cls', head: 'token-classification' },
];

const tmp = mkdtempSync(join(tmpdir(), 'hf-export-interop-'));
beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!available)(`transformers ${probe.stdout?.trim() ?? ''} loads what saveHfModel writes for the new families`, () => {
  it('the class named in architectures, every weight found, the same logits as ours', () => {
    const ours: Float32Array[][] = [];
    const jobs = CASES.map((c, i) => {
      const raw = JSON.parse(readFileSync(join(FIXTURES, c.fixture, 'config.json'), 'utf8'));
      const config = { ...normalizeHfConfig({ ...raw, ...c.overrides }), numLabels: c.head === 'causal-lm' ? undefined : 3 };
      const model = createModel(config, c.head, i + 1);
      try {
        // Every weight moves off its init (zero biases, unit or zero norms) so each one counts.
        [...model.weights.values()].forEach((v, k) => v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 1000 * i + k)))));
        const dir = join(tmp, `${i}-${c.fixture}-${c.head}`);
        saveHfModel(model, null, dir);
        const rows = readExpected(c.fixture).cases.map((e) => e.input_ids);
        ours.push(rows.map((r) => batchLogits(model, [r])[0]));
        return { dir, head: c.head, rows, architecture: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).architectures[0] as string };
      } finally {
        model.dispose();
      }
    });
    const jobsFile = join(tmp, 'jobs.json');
    const outFile = join(tmp, 'out.json');
    writeFileSync(jobsFile, JSON.stringify(jobs));
    const r = spawnSync(python, ['-c', SCRIPT, jobsFile, outFile], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`transformers failed: ${r.stderr}`);
    const theirs = JSON.parse(readFileSync(outFile, 'utf8')) as { cls: string; missing: string[]; unexpected: string[]; logits: number[][] }[];
    theirs.forEach((t, i) => {
      const what = `${CASES[i].fixture} ${CASES[i].head} ${JSON.stringify(CASES[i].overrides ?? {})}`;
      expect(t.cls, what).toBe(jobs[i].architecture);
      expect(t.missing, what).toEqual([]);
      expect(t.unexpected, what).toEqual([]);
      t.logits.forEach((l, k) => expect(relativeError(Float32Array.from(l), ours[i][k]), `${what} row ${k}`).toBeLessThan(1e-4));
    });
  }, 300_000);
});
