// One submission path: POST /api/sweeps (JSON, { yaml }, raw YAML) and `peft-lab sweep create`
// (a YAML or JSON file) go through submitSweep of @peft-lab/db and store the same parsed spec
// (validated, defaults applied) and the same trials; an unknown task or base model is refused
// by both with the same `field: rule` line, and nothing is stored.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDb } from '@peft-lab/db';
import { createTestDatabase, type TestDatabase } from '@peft-lab/db/testing';
import { parseSweepSpec } from '@peft-lab/sweeps';
import * as sweepsRoute from '../app/app/api/sweeps/route';
import { callJson, type Handler } from './api-helpers';
import { runCli } from './helpers/run-cli';
import { registerTinyFixtures } from './helpers/worker-fixtures';

let t: TestDatabase;
let dir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  await registerTinyFixtures(t.db);
  process.env.DATABASE_URL = t.url;
  delete process.env.PEFT_LAB_TOKEN;
  dir = mkdtempSync(join(tmpdir(), 'peft-lab-submission-'));
}, 120_000);
afterAll(async () => {
  await connectDb().$disconnect().catch(() => {});
  await t?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const POST = sweepsRoute.POST as unknown as Handler;

/** Leaves most fields to their defaults (baseline, seeds, strategy, budget, early stopping, most training parameters). */
const YAML = `name: same-spec
baseModel: gpt2-tiny
task: tiny-spam
methods:
  - method: lora
    space: { r: [2, 4] }
  - method: prefix
    label: short prefix
    space: { prefixLength: 4 }
training: { maxSteps: 6, lr: 0.003 }
`;

async function stored(id: string) {
  const sweep = await t.db.sweep.findUniqueOrThrow({ where: { id }, include: { trials: { orderBy: { index: 'asc' } } } });
  return {
    spec: sweep.spec, task: sweep.task, baseModelId: sweep.baseModelId, datasetId: sweep.datasetId, maxParallel: sweep.maxParallel,
    trials: sweep.trials.map((x) => ({ index: x.index, method: x.method, seed: x.seed, hyperparameters: x.hyperparameters, maxAttempts: x.maxAttempts, progressTotal: x.progressTotal })),
  };
}

describe('submitSweep: the API and the CLI store the same sweep', () => {
  it('stores the parsed spec for JSON, { yaml } and raw YAML bodies and for YAML / JSON files', async () => {
    const parsed = JSON.parse(JSON.stringify(parseSweepSpec(YAML)));
    const raw = parseYaml(YAML) as Record<string, unknown>;
    const yamlFile = join(dir, 'spec.yaml');
    const jsonFile = join(dir, 'spec.json');
    writeFileSync(yamlFile, YAML);
    writeFileSync(jsonFile, JSON.stringify(raw, null, 2));

    const ids: string[] = [];
    for (const body of [{ body: raw }, { body: { yaml: YAML } }, { rawBody: YAML, headers: { 'content-type': 'application/yaml' } }]) {
      const r = await callJson(POST, 'POST', '/api/sweeps', body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids.push(r.body.id);
    }
    for (const file of [yamlFile, jsonFile]) {
      const r = await runCli(['sweep', 'create', file, '--json'], { DATABASE_URL: t.url });
      expect(r.code, r.stderr).toBe(0);
      ids.push(JSON.parse(r.stdout).id);
    }

    const rows = await Promise.all(ids.map(stored));
    // Defaults are filled in (the raw spec has no baseline, seeds, strategy or early stopping).
    expect(rows[0].spec).toEqual(parsed);
    expect(rows[0].spec).toMatchObject({ baseline: 'full', seeds: 1, strategy: { type: 'grid' }, earlyStopping: { type: 'none' } });
    expect(raw).not.toHaveProperty('baseline');
    expect(rows[0].baseModelId).not.toBeNull();
    expect(rows[0].datasetId).not.toBeNull();
    expect(rows[0].trials).toHaveLength(4); // the full baseline, lora r 2 and 4, prefix
    for (const r of rows.slice(1)) expect(r).toEqual(rows[0]);
  }, 180_000);

  it('refuses an unknown task or base model with the same line in both, storing nothing', async () => {
    const before = await t.db.sweep.count();
    const cases: [string, string][] = [
      [YAML.replace('task: tiny-spam', 'task: no-such-task'), 'task: unknown task "no-such-task" (built-in: spam, '],
      [YAML.replace('baseModel: gpt2-tiny', 'baseModel: no-such-model'), 'baseModel: unknown base model "no-such-model": not "builtin", not a registered base model'],
    ];
    for (const [yaml, line] of cases) {
      const api = await callJson(POST, 'POST', '/api/sweeps', { body: { yaml } });
      expect(api.status).toBe(400);
      expect(api.body.issues).toHaveLength(1);
      expect(api.body.issues[0]).toContain(line);
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, yaml);
      const cli = await runCli(['sweep', 'create', file], { DATABASE_URL: t.url });
      expect(cli.code).toBe(2);
      expect(cli.stderr).toContain(`${file}: ${line}`);
      expect(cli.stderr).toContain(api.body.issues[0]);
    }
    expect(await t.db.sweep.count()).toBe(before);
  }, 180_000);
});
