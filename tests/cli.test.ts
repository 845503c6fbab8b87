// The `peft-lab` command as users run it (child processes) against a real embedded PostgreSQL.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@peft-lab/db/testing';
import { registerTinyFixtures, tinySpamJsonl, tinySpec } from './helpers/worker-fixtures';
import { runCli } from './helpers/run-cli';

let t: TestDatabase;
let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  t = await createTestDatabase();
  await registerTinyFixtures(t.db);
  dir = mkdtempSync(join(tmpdir(), 'peft-lab-cli-'));
  env = { DATABASE_URL: t.url };
}, 120_000);
afterAll(async () => {
  await t?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return p;
};

describe('peft-lab CLI', () => {
  it('prints help for every command and exits 0', async () => {
    for (const args of [['--help'], ['sweep', 'run', '--help'], ['worker', '--help'], ['export', '--help'], ['data', 'import', '--help']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: peft-lab/);
    }
  }, 120_000);

  it('exits 2 with the file, path and rule for an invalid sweep spec, and stores nothing', async () => {
    const before = await t.db.sweep.count();
    const file = write('bad.json', tinySpec('bad', [{ method: 'lora', space: { r: 0 } }]));
    const r = await runCli(['sweep', 'create', file], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: methods[0].space.r: must be an integer ≥ 1`);
    expect(await t.db.sweep.count()).toBe(before);
  }, 60_000);

  it('exits 2 for a missing spec file, an unknown task, an unknown sweep id and a bad format', async () => {
    const missing = await runCli(['sweep', 'create', join(dir, 'nope.yaml')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/FILE ".*nope.yaml": no such file/);
    const unknownTask = await runCli(['sweep', 'create', write('task.json', { ...tinySpec('t', [{ method: 'lora' }]), task: 'no-such-task' })], env);
    expect(unknownTask.code).toBe(2);
    expect(unknownTask.stderr).toMatch(/task = "no-such-task": not a built-in task/);
    const status = await runCli(['sweep', 'status', '00000000-0000-4000-8000-000000000000'], env);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/sweep "00000000-0000-4000-8000-000000000000" not found/);
    const format = await runCli(['export', '00000000-0000-4000-8000-000000000000', '--format', 'docx'], env);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format "docx": must be one of csv, json, md, tex, html/);
  }, 120_000);

  it('validates dataset imports: a missing label column exits 2 naming it; a good file registers', async () => {
    const bad = await runCli(['data', 'import', write('d.jsonl', tinySpamJsonl(20)), '--name', 'd', '--kind', 'sequence-classification', '--text-column', 'text', '--label-column', 'stars'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/column "stars" \(labelColumn\) not found/);
    const good = await runCli(['data', 'import', join(dir, 'd.jsonl'), '--name', 'cli-spam', '--kind', 'sequence-classification', '--text-column', 'text', '--label-column', 'label'], env);
    expect(good.code, good.stderr).toBe(0);
    expect((await t.db.dataset.findUniqueOrThrow({ where: { name: 'cli-spam' } })).taskKind).toBe('sequence-classification');
  }, 120_000);

  it('sweep run creates, runs and writes every report format; status and export read it back', async () => {
    const spec = write('run.json', tinySpec('cli-run', [{ method: 'lora', space: { r: [2, 4] } }], { maxSteps: 6, evalEvery: 3 }));
    const out = join(dir, 'report');
    const r = await runCli(['sweep', 'run', spec, '--report', out, '--lease-ms', '5000', '--no-progress'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout, r.stderr).toMatch(/sweep completed: 3 completed/);
    const files = readdirSync(out).sort();
    expect(files.map((f) => f.split('.').pop()).sort()).toEqual(['csv', 'html', 'json', 'md', 'tex']);
    const rows = parseCsv(readFileSync(join(out, files.find((f) => f.endsWith('.csv'))!), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(rows.map((x) => x.method).sort()).toEqual(['full', 'lora', 'lora']);
    expect(rows.every((x) => x.status === 'completed')).toBe(true);
    const json = JSON.parse(readFileSync(join(out, files.find((f) => f.endsWith('.json'))!), 'utf8'));
    expect(json.trials).toHaveLength(3);
    expect(json.trials[1].series['train/loss']).toHaveLength(6);

    const id = json.sweep.id as string;
    const status = await runCli(['sweep', 'status', id, '--json'], env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).counts.completed).toBe(3);
    const md = await runCli(['export', id, '--format', 'md'], env);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('cli-run');
    const cancel = await runCli(['sweep', 'cancel', id], env);
    expect(cancel.code).toBe(0);
  }, 300_000);
});
