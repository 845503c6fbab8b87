// Deployable exports of a trial (@peft-lab/export, GET /api/trials/[id]/export, `peft-lab export
// --format adapter-zip|merged|merged-zip`): a sweep trained by the real worker on embedded
// PostgreSQL (gpt2-tiny, a tiny spam/ham dataset: full fine-tuning, LoRA, (IA)³, prefix tuning).
// - the adapter zip's entries and its model card's fields, read from the trial's rows;
// - the merged checkpoint through the route (the CLI in a child process): transformers alone
//   loads it and gives the logits of our engine with the stored adapter (Python reference stack,
//   `.venv-ref/`; skipped with a warning where there is none, which CI installs), for LoRA and IA3;
// - bad input: unknown trial 404, prefix tuning merged 422, full fine-tuning adapter zip 422, bad format 400.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { parse as parseYaml } from 'yaml';
import { connectDb, submitSweep } from '@peft-lab/db';
import { createTestDatabase, type TestDatabase } from '@peft-lab/db/testing';
import { runWorker, silentLogger } from '@peft-lab/worker';
import { loadHfModel, loadIa3Adapter, loadLoraAdapter } from '@peft-lab/engine';
import { writeTrialCheckpoint } from '@peft-lab/export/checkpoint';
import { pythonPeftAvailable, runPythonJson, warnIfNoPythonPeft } from '../packages/engine/src/peft/python-reference.js';
import * as trialExportRoute from '../app/app/api/trials/[id]/export/route';
import { call, callJson, type Handler } from './api-helpers';
import { runCli } from './helpers/run-cli';
import { GPT2_TINY_DIR, registerTinyFixtures, tinySpec } from './helpers/worker-fixtures';

warnIfNoPythonPeft('trial export interop');

let t: TestDatabase;
let trials: { id: string; method: string; index: number; seed: number; backend: string | null; summary: any }[];
const tmp = mkdtempSync(join(tmpdir(), 'trial-export-test-'));
const H = trialExportRoute.GET as unknown as Handler;
const byMethod = (m: string) => trials.find((x) => x.method === m)!;

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  delete process.env.PEFT_LAB_TOKEN;
  await registerTinyFixtures(t.db);
  const { sweep } = await submitSweep(t.db, tinySpec('export-sweep', [
    { method: 'lora', space: { r: 2 } },
    { method: 'ia3' },
    { method: 'prefix', space: { prefixLength: 4, reparameterize: false } },
  ]));
  const summary = await runWorker({ db: t.db, once: true, log: silentLogger(), leaseMs: 3_000, progress: 'off', handleSignals: false, pollMs: 200 });
  expect(summary.outcomes.completed).toBe(4);
  trials = await t.db.trial.findMany({ where: { sweepId: sweep.id }, orderBy: { index: 'asc' }, select: { id: true, method: true, index: true, seed: true, backend: true, summary: true } });
}, 240_000);

afterAll(async () => {
  await connectDb().$disconnect().catch(() => {});
  await t?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

/** The zip's entries, name → bytes. */
function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out = new Map<string, Buffer>();
      zip.on('entry', (e: yauzl.Entry) => {
        zip.openReadStream(e, (err2, s) => {
          if (err2 || !s) return reject(err2);
          const parts: Buffer[] = [];
          s.on('data', (d: Buffer) => parts.push(d));
          s.on('end', () => { out.set(e.fileName, Buffer.concat(parts)); zip.readEntry(); });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

async function download(trialId: string, format: string): Promise<{ status: number; name: string; entries: Map<string, Buffer> }> {
  const res = await call(H, 'GET', `/api/trials/${trialId}/export?format=${format}`, { params: { id: trialId } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/zip');
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')![1];
  return { status: res.status, name, entries: await unzip(Buffer.from(await res.arrayBuffer())) };
}

/** Writes the zip's `<folder>/…` entries into a fresh directory. */
function extract(entries: Map<string, Buffer>, into: string): string {
  mkdirSync(into, { recursive: true });
  for (const [name, bytes] of entries) writeFileSync(join(into, name.slice(name.indexOf('/') + 1)), bytes);
  return into;
}

// transformers only (no peft): the merged directory must load on its own.
const LOAD_MERGED = `
import json, sys, torch, transformers
inp = json.load(open(sys.argv[1]))
model, info = transformers.AutoModelForSequenceClassification.from_pretrained(inp['dir'], output_loading_info=True)
model = model.float().eval()
with torch.no_grad():
    logits = [model(input_ids=torch.tensor([ids])).logits[0].tolist() for ids in inp['rows']]
json.dump({'logits': logits, 'missing': list(info['missing_keys']), 'id2label': model.config.id2label}, open(sys.argv[2], 'w'))
`;

/** Our engine's logits for `texts` with the trial's stored adapter (from the adapter zip) on gpt2-tiny. */
function ourLogits(adapterDir: string, method: 'lora' | 'ia3', seed: number, rows: number[][]): number[][] {
  const { model } = loadHfModel(GPT2_TINY_DIR, { head: 'sequence-classification', numLabels: 2, seed });
  try {
    (method === 'lora' ? loadLoraAdapter : loadIa3Adapter)(model, adapterDir, 'stored');
    return rows.map((ids) => tf.tidy(() => {
      const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
      return Array.from(model.forward({ inputIds, attentionMask: tf.onesLike(inputIds) }, { training: false }).dataSync());
    }));
  } finally {
    model.dispose();
  }
}

describe('trial exports', () => {
  it('adapter zip: the stored PEFT adapter and a README.md model card in Hugging Face layout, from the trial rows', async () => {
    const lora = byMethod('lora');
    const { name, entries } = await download(lora.id, 'adapter-zip');
    const folder = `export-sweep-lora-${lora.index}-adapter`;
    expect(name).toBe(`${folder}.zip`);
    expect([...entries.keys()].sort()).toEqual([`${folder}/README.md`, `${folder}/adapter_config.json`, `${folder}/adapter_model.safetensors`]);
    const stored = await t.db.artifact.findMany({ where: { trialId: lora.id, kind: 'adapter' }, select: { location: true, sha256: true } });
    const { createHash } = await import('node:crypto');
    for (const a of stored) {
      const file = a.location.slice(a.location.lastIndexOf('/') + 1);
      expect(createHash('sha256').update(entries.get(`${folder}/${file}`)!).digest('hex')).toBe(a.sha256);
    }
    const card = entries.get(`${folder}/README.md`)!.toString('utf8');
    const front = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]);
    expect(front).toMatchObject({ library_name: 'peft', base_model: 'gpt2-tiny', datasets: ['tiny-spam'], pipeline_tag: 'text-classification' });
    expect(front.tags).toEqual(expect.arrayContaining(['base_model:adapter:gpt2-tiny', 'lora', 'peft']));
    for (const heading of ['## Model Details', '## Training Details', '#### Method hyperparameters', '#### Training parameters', '## Evaluation', '### Framework versions']) expect(card).toContain(heading);
    expect(card).toMatch(/\*\*Method:\*\* LoRA/);
    expect(card).toMatch(/\| r \| 2 \|/);
    expect(card).toMatch(/\| lr \| 0\.003 \|/);
    expect(card).toMatch(new RegExp(`\\| seed \\| ${lora.seed} \\|`));
    expect(card).toMatch(/labels: (ham, spam|spam, ham)/);
    expect(lora.backend).toBeTruthy();
    expect(card).toContain(`Measured by PEFT Lab on TensorFlow.js backend \`${lora.backend}\``);
    expect(typeof lora.summary.eval_accuracy).toBe('number');
    expect(card).toMatch(/\| eval_accuracy \| [\d.]+ \|/);
    expect(card).toMatch(/- TensorFlow\.js 4\.\d+\.\d+/);
    expect(card).toMatch(/- Node\.js v\d+/);
  }, 60_000);

  it.skipIf(!pythonPeftAvailable)('merged zip (LoRA, via the route and the CLI) and merged dir ((IA)³): transformers loads them without peft and gives our logits', async () => {
    const rows = [[3, 17, 42, 8, 99], [5, 6, 7]];
    for (const method of ['lora', 'ia3'] as const) {
      const trial = byMethod(method);
      const adapterDir = extract((await download(trial.id, 'adapter-zip')).entries, join(tmp, `${method}-adapter`));
      let mergedDir: string;
      if (method === 'lora') {
        const { name, entries } = await download(trial.id, 'merged-zip');
        expect(name).toBe(`export-sweep-lora-${trial.index}-merged.zip`);
        mergedDir = extract(entries, join(tmp, `${method}-merged`));
      } else {
        mergedDir = (await writeTrialCheckpoint(t.db, trial.id, join(tmp, `${method}-merged`))).dir;
      }
      expect(readdirSync(mergedDir).sort()).toEqual(['README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
      const theirs = runPythonJson<{ logits: number[][]; missing: string[]; id2label: Record<string, string> }>(LOAD_MERGED, { dir: mergedDir, rows });
      expect(theirs.missing).toEqual([]);
      expect(Object.values(theirs.id2label).sort()).toEqual(['ham', 'spam']);
      const ours = ourLogits(adapterDir, method, trial.seed, rows);
      theirs.logits.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - ours[i][j])).toBeLessThan(1e-4 * Math.max(1, Math.abs(ours[i][j])))));
    }
  }, 240_000);

  it('full fine-tuning: the stored full model with the base tokenizer files and a card; no adapter zip (422)', async () => {
    const full = byMethod('full');
    const written = await writeTrialCheckpoint(t.db, full.id, join(tmp, 'full'));
    expect(written.kind).toBe('full');
    expect(written.files).toEqual(['README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const res = await callJson(H, 'GET', `/api/trials/${full.id}/export?format=adapter-zip`, { params: { id: full.id } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/full fine-tuning stores a full model, not an adapter: export it with format=merged-zip/);
  }, 60_000);

  it('bad input: unknown trial 404, prefix tuning merged 422 naming why and the adapter export, a bad format 400', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const format of ['adapter-zip', 'merged-zip']) {
      const r = await callJson(H, 'GET', `/api/trials/${unknown}/export?format=${format}`, { params: { id: unknown } });
      expect(r.status).toBe(404);
      expect(r.body.error).toMatch(/trial "00000000-0000-4000-8000-000000000000" not found/);
    }
    expect((await callJson(H, 'GET', '/api/trials/not-a-uuid/export', { params: { id: 'not-a-uuid' } })).status).toBe(404);
    const prefix = byMethod('prefix');
    const r = await callJson(H, 'GET', `/api/trials/${prefix.id}/export?format=merged-zip`, { params: { id: prefix.id } });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatch(/no merged checkpoint export: method prefix cannot be merged into the base weights .*download the PEFT-format adapter instead \(format=adapter-zip\)/);
    // Its adapter zip is there.
    expect((await download(prefix.id, 'adapter-zip')).entries.size).toBe(3);
    const bad = await callJson(H, 'GET', `/api/trials/${prefix.id}/export?format=tar`, { params: { id: prefix.id } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/format/);
  }, 60_000);

  it('the CLI: an adapter zip to --out; prefix tuning merged and --format merged without --out exit 2 saying why', async () => {
    const env = { DATABASE_URL: t.url };
    const out = join(tmp, 'cli-adapter.zip');
    const ok = await runCli(['export', byMethod('lora').id, '--format', 'adapter-zip', '--out', out], env);
    expect(ok.code).toBe(0);
    expect([...(await unzip(readFileSync(out))).keys()].map((k) => k.slice(k.indexOf('/') + 1)).sort()).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors']);
    const prefix = await runCli(['export', byMethod('prefix').id, '--format', 'merged', '--out', join(tmp, 'cli-prefix')], env);
    expect(prefix.code).toBe(2);
    expect(prefix.stderr).toMatch(/method prefix cannot be merged into the base weights/);
    const noOut = await runCli(['export', byMethod('lora').id, '--format', 'merged'], env);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--out.*is required with --format merged/);
  }, 120_000);
});
