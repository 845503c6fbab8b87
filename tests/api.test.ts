// The HTTP API's route handlers, called directly against a real embedded PostgreSQL.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDb, getPool, writeBlob, type Db } from '@peft-lab/db';
import { createTestDatabase, type TestDatabase } from '@peft-lab/db/testing';
import * as artifactRoute from '../app/app/api/artifacts/[id]/route';
import * as catalogRoute from '../app/app/api/catalog/route';
import * as healthRoute from '../app/app/api/health/route';
import * as validateRoute from '../app/app/api/specs/validate/route';
import * as sweepRoute from '../app/app/api/sweeps/[id]/route';
import * as sweepCancelRoute from '../app/app/api/sweeps/[id]/cancel/route';
import * as exportRoute from '../app/app/api/sweeps/[id]/export/route';
import * as sweepTrialsRoute from '../app/app/api/sweeps/[id]/trials/route';
import * as sweepsRoute from '../app/app/api/sweeps/route';
import * as trialRoute from '../app/app/api/trials/[id]/route';
import * as trialCancelRoute from '../app/app/api/trials/[id]/cancel/route';
import * as seriesRoute from '../app/app/api/trials/[id]/series/route';
import * as sessionRoute from '../app/app/api/session/route';
import { call, callJson, type Handler } from './api-helpers';
import { generateMalformedBodies, validSpec } from './api-malformed-specs';

let t: TestDatabase;
let db: Db;

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  delete process.env.PEFT_LAB_TOKEN;
  db = t.db;
}, 120_000);

afterAll(async () => {
  // The routes' shared client (connectDb() on DATABASE_URL) has its own pool.
  await connectDb().$disconnect().catch(() => {});
  await t?.cleanup();
});

const H = (h: unknown) => h as Handler;

async function createSweep(spec = validSpec()): Promise<{ id: string; trials: number }> {
  const r = await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', { body: spec });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

async function rowCounts(): Promise<Record<string, number>> {
  const { rows } = await getPool(db).query(`SELECT
    (SELECT count(*)::int FROM "Sweep") AS sweeps, (SELECT count(*)::int FROM "Trial") AS trials,
    (SELECT count(*)::int FROM "MetricPoint") AS points, (SELECT count(*)::int FROM "Artifact") AS artifacts`);
  return rows[0];
}

/** Marks a trial completed with a summary and measurements, as a worker would. */
async function complete(trialId: string, accuracy: number): Promise<void> {
  await getPool(db).query(
    `UPDATE "Trial" SET "status" = 'completed', "startedAt" = now(), "finishedAt" = now(), "backend" = 'cpu',
       "summary" = $2::jsonb, "measurements" = $3::jsonb WHERE "id" = $1`,
    [trialId, JSON.stringify({ eval_accuracy: accuracy, final_loss: 0.5 }), JSON.stringify({ trainableParams: 1000, totalParams: 100000, trainablePercent: 1 })],
  );
}

describe('sweeps: create, list, get', () => {
  it('creates a sweep and its queued trials in one call (201, id, trial count)', async () => {
    const before = await rowCounts();
    const { id, trials } = await createSweep(validSpec('create-basic'));
    // baseline (1 config x 2 seeds) + lora r∈{2,4} x 2 seeds + prefix x 2 seeds
    expect(trials).toBe(8);
    const after = await rowCounts();
    expect(after.sweeps).toBe(before.sweeps + 1);
    expect(after.trials).toBe(before.trials + 8);
    const got = await callJson(H(sweepRoute.GET), 'GET', `/api/sweeps/${id}`, { params: { id } });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, name: 'create-basic', status: 'queued', task: 'spam' });
    expect(got.body.counts).toMatchObject({ queued: 8, total: 8 });
    expect(got.body.objective).toEqual({ metric: 'accuracy', direction: 'maximize' });
    expect(got.body.methods.map((m: { method: string }) => m.method).sort()).toEqual(['full', 'lora', 'prefix']);
    // The worker reads training parameters from hyperparameters.training.
    const trial = await db.trial.findFirstOrThrow({ where: { sweepId: id, method: 'lora' }, orderBy: { index: 'asc' } });
    expect(trial.hyperparameters).toMatchObject({ r: 2, alpha: 16, training: { lr: 1e-3, maxSteps: 10 }, isBaseline: false });
    expect(trial.progressTotal).toBe(10);
  });

  it('accepts { yaml } and a raw YAML body', async () => {
    const yaml = 'name: from-yaml\ntask: spam\nmethods:\n  - method: lora\n    space: { r: 4 }\ntraining: { maxSteps: 5 }\nbaseline: none\n';
    const a = await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', { body: { yaml } });
    expect(a.status).toBe(201);
    expect(a.body.trials).toBe(1);
    const b = await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', { rawBody: yaml.replace('from-yaml', 'raw-yaml'), headers: { 'content-type': 'application/yaml' } });
    expect(b.status).toBe(201);
    expect(a.body.notes).toEqual([]);
  });

  it('a tpe budget that is all initial design is created, with a note saying so', async () => {
    const yaml = [
      'name: all-design', 'task: spam', 'methods:', '  - method: lora', '  - method: prefix',
      'training: { maxSteps: 5, lr: { min: 1.0e-4, max: 1.0e-2, scale: log } }', 'strategy: { type: tpe, startupTrials: 2 }', 'budget: { maxTrials: 10 }',
    ].join('\n');
    const r = await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', { body: { yaml } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.notes).toEqual([expect.stringMatching(/^budget\.maxTrials: 10 trials with 3 method entries are all TPE's initial design \(7 \+ 7 \+ 7 = 21: .*above 21/)]);
  });

  it('lists newest first with counts, searches by name, filters by status, pages', async () => {
    const names = ['list-alpha', 'list-beta', 'list-gamma'];
    const ids: string[] = [];
    for (const n of names) ids.push((await createSweep(validSpec(n))).id);
    const all = await callJson(H(sweepsRoute.GET), 'GET', '/api/sweeps?q=LIST-&pageSize=2');
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(3);
    expect(all.body.items.map((s: { name: string }) => s.name)).toEqual(['list-gamma', 'list-beta']);
    expect(all.body.items[0].counts).toMatchObject({ queued: 8, total: 8 });
    const page2 = await callJson(H(sweepsRoute.GET), 'GET', '/api/sweeps?q=list-&pageSize=2&page=1');
    expect(page2.body.items.map((s: { name: string }) => s.name)).toEqual(['list-alpha']);

    await callJson(H(sweepCancelRoute.POST), 'POST', `/api/sweeps/${ids[1]}/cancel`, { params: { id: ids[1] } });
    const cancelled = await callJson(H(sweepsRoute.GET), 'GET', '/api/sweeps?q=list-&status=cancelled');
    expect(cancelled.body.items.map((s: { id: string }) => s.id)).toEqual([ids[1]]);
    const either = await callJson(H(sweepsRoute.GET), 'GET', '/api/sweeps?q=list-&status=cancelled,queued');
    expect(either.body.total).toBe(3);
  });

  it('reports the best completed trial per method by the objective', async () => {
    const { id } = await createSweep(validSpec('best-per-method'));
    const trials = await db.trial.findMany({ where: { sweepId: id }, orderBy: { index: 'asc' } });
    const lora = trials.filter((x) => x.method === 'lora');
    await complete(lora[0].id, 0.7);
    await complete(lora[1].id, 0.9);
    await complete(trials.find((x) => x.method === 'full')!.id, 0.8);
    const list = await callJson(H(sweepsRoute.GET), 'GET', '/api/sweeps?q=best-per-method');
    const best = list.body.items[0].best as { method: string; value: number; trialId: string }[];
    expect(best).toEqual(expect.arrayContaining([
      { method: 'lora', value: 0.9, trialId: lora[1].id },
      expect.objectContaining({ method: 'full', value: 0.8 }),
    ]));
    expect(best.find((b) => b.method === 'prefix')).toBeUndefined();
    expect(list.body.items[0].counts).toMatchObject({ completed: 3, queued: 5 });
  });

  it('404s an unknown sweep and trial', async () => {
    const id = randomUUID();
    expect((await callJson(H(sweepRoute.GET), 'GET', `/api/sweeps/${id}`, { params: { id } })).status).toBe(404);
    expect((await callJson(H(sweepTrialsRoute.GET), 'GET', `/api/sweeps/${id}/trials`, { params: { id } })).status).toBe(404);
    expect((await callJson(H(sweepCancelRoute.POST), 'POST', `/api/sweeps/${id}/cancel`, { params: { id } })).status).toBe(404);
    expect((await callJson(H(trialRoute.GET), 'GET', `/api/trials/${id}`, { params: { id } })).status).toBe(404);
    expect((await callJson(H(trialCancelRoute.POST), 'POST', `/api/trials/${id}/cancel`, { params: { id } })).status).toBe(404);
    expect((await callJson(H(seriesRoute.GET), 'GET', `/api/trials/${id}/series`, { params: { id } })).status).toBe(404);
    expect((await callJson(H(exportRoute.GET), 'GET', `/api/sweeps/${id}/export?format=csv`, { params: { id } })).status).toBe(404);
    expect((await callJson(H(artifactRoute.GET), 'GET', `/api/artifacts/${id}`, { params: { id } })).status).toBe(404);
  });
});

describe('trials: filter, sort, page, cancel', () => {
  let sweepId: string;
  beforeAll(async () => {
    sweepId = (await createSweep(validSpec('trials-table'))).id;
  });
  const list = (qs: string) => callJson(H(sweepTrialsRoute.GET), 'GET', `/api/sweeps/${sweepId}/trials${qs}`, { params: { id: sweepId } });

  it('pages in index order by default', async () => {
    const p = await list('?pageSize=3&page=1');
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ total: 8, page: 1, pageSize: 3 });
    expect(p.body.items.map((x: { index: number }) => x.index)).toEqual([3, 4, 5]);
  });

  it('filters by method and status and sorts both ways', async () => {
    const lora = await list('?method=lora&sort=seed&order=desc');
    expect(lora.body.total).toBe(4);
    expect(lora.body.items.map((x: { seed: number }) => x.seed)).toEqual([1, 1, 0, 0]);
    expect(lora.body.items.every((x: { method: string }) => x.method === 'lora')).toBe(true);
    const items = (await list('')).body.items;
    await complete(items[2].id, 0.6);
    await complete(items[3].id, 0.95);
    const bySummary = await list('?status=completed&sort=summary.eval_accuracy&order=desc');
    expect(bySummary.body.items.map((x: { id: string }) => x.id)).toEqual([items[3].id, items[2].id]);
  });

  it('rejects bad parameters with a 400 naming the parameter', async () => {
    for (const [qs, param] of [['?pageSize=0', 'pageSize'], ['?pageSize=5000', 'pageSize'], ['?page=-1', 'page'], ['?page=abc', 'page'],
      ['?sort=bogus', 'sort'], ['?sort=id;DROP', 'sort'], ['?order=up', 'order'], ['?status=done', 'status'], ['?colour=red', 'colour']] as const) {
      const r = await list(qs);
      expect(r.status, qs).toBe(400);
      expect(r.body.issues.some((i: string) => i.startsWith(param)), `${qs}: ${JSON.stringify(r.body)}`).toBe(true);
    }
  });

  it('gets one trial with its artifacts and cancels it (then 409)', async () => {
    const queued = (await list('?status=queued&pageSize=1')).body.items[0];
    const got = await callJson(H(trialRoute.GET), 'GET', `/api/trials/${queued.id}`, { params: { id: queued.id } });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: queued.id, sweep: { id: sweepId, name: 'trials-table' }, artifacts: [] });
    expect(got.body.leaseToken).toBeUndefined();
    const c = await callJson(H(trialCancelRoute.POST), 'POST', `/api/trials/${queued.id}/cancel`, { params: { id: queued.id } });
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('cancelled');
    const again = await callJson(H(trialCancelRoute.POST), 'POST', `/api/trials/${queued.id}/cancel`, { params: { id: queued.id } });
    expect(again.status).toBe(409);
  });

  it('cancels a whole sweep', async () => {
    const c = await callJson(H(sweepCancelRoute.POST), 'POST', `/api/sweeps/${sweepId}/cancel`, { params: { id: sweepId } });
    expect(c.status).toBe(200);
    const s = await callJson(H(sweepRoute.GET), 'GET', `/api/sweeps/${sweepId}`, { params: { id: sweepId } });
    expect(s.body.status).toBe('cancelled');
    expect(s.body.counts.queued).toBe(0);
    expect(s.body.counts.cancelled + s.body.counts.completed).toBe(8);
  });
});

describe('series', () => {
  it('downsamples on the server to at most maxPoints buckets with min/max/last', async () => {
    const { id } = await createSweep(validSpec('series'));
    const trial = await db.trial.findFirstOrThrow({ where: { sweepId: id } });
    const steps = Array.from({ length: 5000 }, (_, i) => i);
    await getPool(db).query(
      `INSERT INTO "MetricPoint" ("trialId", "name", "step", "value")
       SELECT $1, 'train/loss', s, 10.0 / (s + 1) FROM unnest($2::int[]) s
       UNION ALL SELECT $1, 'eval/accuracy', s, s / 5000.0 FROM unnest($2::int[]) s WHERE s % 50 = 0`,
      [trial.id, steps],
    );
    const r = await callJson(H(seriesRoute.GET), 'GET', `/api/trials/${trial.id}/series?names=train/loss&maxPoints=100`, { params: { id: trial.id } });
    expect(r.status).toBe(200);
    expect(r.body.series).toHaveLength(1);
    const loss = r.body.series[0];
    expect(loss.name).toBe('train/loss');
    expect(loss.points.length).toBeLessThanOrEqual(100);
    expect(loss.points.length).toBeGreaterThan(50);
    expect(loss.points[0]).toMatchObject({ step: 0, max: 10 });
    expect(loss.points.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(5000);
    const lastBucket = loss.points.at(-1);
    expect(lastBucket.stepEnd).toBe(4999);
    expect(lastBucket.last).toBeCloseTo(10 / 5000, 9);

    const both = await callJson(H(seriesRoute.GET), 'GET', `/api/trials/${trial.id}/series?names=train/loss,eval/accuracy&maxPoints=500`, { params: { id: trial.id } });
    expect(both.body.series.map((s: { name: string }) => s.name).sort()).toEqual(['eval/accuracy', 'train/loss']);
    expect(both.body.series.find((s: { name: string }) => s.name === 'eval/accuracy').points).toHaveLength(100);

    const bad = await callJson(H(seriesRoute.GET), 'GET', `/api/trials/${trial.id}/series?maxPoints=0`, { params: { id: trial.id } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0]).toMatch(/^maxPoints/);
  });
});

describe('token auth', () => {
  afterAll(() => {
    delete process.env.PEFT_LAB_TOKEN;
  });

  it('needs the bearer token for every mutating call when PEFT_LAB_TOKEN is set', async () => {
    process.env.PEFT_LAB_TOKEN = 's3cret-token';
    const spec = validSpec('auth');
    const before = await rowCounts();
    const none = await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', { body: spec });
    expect(none.status).toBe(401);
    const wrong = await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', { body: spec, headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const basic = await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', { body: spec, headers: { authorization: 'Basic czNjcmV0LXRva2Vu' } });
    expect(basic.status).toBe(401);
    expect(await rowCounts()).toEqual(before);

    const ok = await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', { body: spec, headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.status).toBe(201);
    const id = ok.body.id as string;
    expect((await callJson(H(sweepCancelRoute.POST), 'POST', `/api/sweeps/${id}/cancel`, { params: { id } })).status).toBe(401);
    const trial = await db.trial.findFirstOrThrow({ where: { sweepId: id } });
    expect((await callJson(H(trialCancelRoute.POST), 'POST', `/api/trials/${trial.id}/cancel`, { params: { id: trial.id } })).status).toBe(401);
    expect((await callJson(H(validateRoute.POST), 'POST', '/api/specs/validate', { body: spec })).status).toBe(401);
    expect((await callJson(H(sweepCancelRoute.POST), 'POST', `/api/sweeps/${id}/cancel`, { params: { id }, headers: { authorization: 'Bearer s3cret-token' } })).status).toBe(200);
    // Reads stay open.
    expect((await callJson(H(sweepRoute.GET), 'GET', `/api/sweeps/${id}`, { params: { id } })).status).toBe(200);
    expect((await callJson(H(sweepsRoute.GET), 'GET', '/api/sweeps')).status).toBe(200);
  });

  it('unlocks a browser session with the token: an httpOnly cookie that carries mutating calls', async () => {
    process.env.PEFT_LAB_TOKEN = 's3cret-token';
    expect((await callJson(H(sessionRoute.GET), 'GET', '/api/session')).body).toEqual({ required: true, unlocked: false });
    const empty = await callJson(H(sessionRoute.POST), 'POST', '/api/session', { body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.issues[0]).toMatch(/^token: /);
    const wrong = await call(H(sessionRoute.POST), 'POST', '/api/session', { body: { token: 'nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const ok = await call(H(sessionRoute.POST), 'POST', '/api/session', { body: { token: 's3cret-token' } });
    expect(ok.status).toBe(200);
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain('s3cret-token');
    const cookie = setCookie.split(';')[0];
    expect((await callJson(H(sessionRoute.GET), 'GET', '/api/session', { headers: { cookie } })).body).toEqual({ required: true, unlocked: true });
    const created = await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', { body: validSpec('session'), headers: { cookie } });
    expect(created.status).toBe(201);

    // A cookie for another token (or none) does not pass, and a new token invalidates old sessions.
    const forged = `${cookie.split('=')[0]}=${'0'.repeat(64)}`;
    expect((await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', { body: validSpec('forged'), headers: { cookie: forged } })).status).toBe(401);
    process.env.PEFT_LAB_TOKEN = 'rotated-token';
    expect((await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', { body: validSpec('stale'), headers: { cookie } })).status).toBe(401);
    const logout = await call(H(sessionRoute.DELETE), 'DELETE', '/api/session');
    expect(logout.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });
});

describe('export', () => {
  it('serves every report format with its content type and a filename', async () => {
    const { id } = await createSweep(validSpec('Export Me'));
    const trials = await db.trial.findMany({ where: { sweepId: id }, orderBy: { index: 'asc' } });
    for (const [i, tr] of trials.entries()) if (i % 2 === 0) await complete(tr.id, 0.5 + i / 100);
    const expected: Record<string, RegExp> = { csv: /^text\/csv/, json: /^application\/json/, md: /^text\/markdown/, tex: /tex/, html: /^text\/html/ };
    for (const format of Object.keys(expected)) {
      const res = await call(H(exportRoute.GET), 'GET', `/api/sweeps/${id}/export?format=${format}`, { params: { id } });
      const text = await res.text();
      expect(res.status, `${format}: ${text.slice(0, 300)}`).toBe(200);
      expect(res.headers.get('content-type')).toMatch(expected[format]);
      expect(res.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="peft-lab-export-me-[\\w]+\\.${format}"$`));
      expect(text.length).toBeGreaterThan(50);
      if (format === 'csv') expect(text.trim().split('\n').length).toBe(1 + trials.length);
      if (format === 'json') expect(JSON.parse(text)).toBeTypeOf('object');
      if (format === 'html') expect(text).toMatch(/<html/i);
    }
    const bad = await callJson(H(exportRoute.GET), 'GET', `/api/sweeps/${id}/export?format=pdfx`, { params: { id } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0]).toMatch(/^format/);
  });
});

describe('artifacts, catalog, validate, health', () => {
  it('downloads artifact bytes stored in PostgreSQL, one chunk or many, and refuses corrupt ones', async () => {
    const { id } = await createSweep(validSpec('artifacts'));
    const trial = await db.trial.findFirstOrThrow({ where: { sweepId: id } });
    const insertArtifact = async (file: string, content: Buffer, chunkBytes: number) => {
      const blob = await writeBlob(db, content, { chunkBytes });
      const artifactId = randomUUID();
      await getPool(db).query(
        `INSERT INTO "Artifact" ("id", "trialId", "kind", "location", "bytes", "sha256", "blobId") VALUES ($1, $2, 'adapter', $3, $4, $5, $6)`,
        [artifactId, trial.id, `pg:artifact/${artifactId}/${file}`, content.length, blob.sha256, blob.id],
      );
      return { artifactId, blobId: blob.id };
    };
    const content = Buffer.from(JSON.stringify({ peft_type: 'LORA', r: 4 }));
    const { artifactId, blobId } = await insertArtifact('adapter_config.json', content, 1024);
    const res = await call(H(artifactRoute.GET), 'GET', `/api/artifacts/${artifactId}`, { params: { id: artifactId } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="adapter_config.json"');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-content-sha256')).toBe(createHash('sha256').update(content).digest('hex'));
    expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true);
    const t2 = await callJson(H(trialRoute.GET), 'GET', `/api/trials/${trial.id}`, { params: { id: trial.id } });
    expect(t2.body.artifacts).toEqual([expect.objectContaining({ id: artifactId, kind: 'adapter', bytes: content.length, downloadUrl: `/api/artifacts/${artifactId}` })]);

    const big = randomBytes(10_000);
    const many = await insertArtifact('adapter_model.safetensors', big, 999);
    const bigRes = await call(H(artifactRoute.GET), 'GET', `/api/artifacts/${many.artifactId}`, { params: { id: many.artifactId } });
    expect(bigRes.status).toBe(200);
    expect(bigRes.headers.get('content-length')).toBe('10000');
    expect(Buffer.from(await bigRes.arrayBuffer()).equals(big)).toBe(true);

    // Corrupt content is never served: one chunk → an error response; many → the body is cut off.
    await getPool(db).query(`UPDATE "BlobChunk" SET "data" = '\\x00'::bytea WHERE "blobId" = $1`, [blobId]);
    expect((await call(H(artifactRoute.GET), 'GET', `/api/artifacts/${artifactId}`, { params: { id: artifactId } })).status).toBe(500);
    await getPool(db).query(`UPDATE "BlobChunk" SET "data" = overlay("data" placing '\\xff'::bytea from 1 for 1) WHERE "blobId" = $1 AND "index" = 3`, [many.blobId]);
    const cut = await call(H(artifactRoute.GET), 'GET', `/api/artifacts/${many.artifactId}`, { params: { id: many.artifactId } });
    expect(cut.status).toBe(200);
    await expect(cut.arrayBuffer()).rejects.toThrow(/content sha256 .* does not match/);
  });

  it('lists built-in tasks and imported datasets, and the built-in model', async () => {
    await db.dataset.create({ data: { name: 'my-reviews', kind: 'imported', taskKind: 'classification', labels: ['neg', 'pos'], sizes: { train: 10 }, location: 'upload' } });
    const r = await callJson(H(catalogRoute.GET), 'GET', '/api/catalog');
    expect(r.status).toBe(200);
    const names = r.body.tasks.map((x: { name: string }) => x.name);
    expect(names).toEqual(expect.arrayContaining(['spam', 'genre', 'my-reviews']));
    expect(r.body.tasks.find((x: { name: string }) => x.name === 'my-reviews').source).toBe('imported');
    expect(r.body.baseModels[0].name).toBe('builtin');
    // An imported dataset is a valid task for a sweep.
    const created = await createSweep({ ...validSpec('on-imported'), task: 'my-reviews' });
    expect((await db.sweep.findUniqueOrThrow({ where: { id: created.id } })).datasetId).not.toBeNull();
  });

  it('lists registered base models with family, size, dtype and host; a sweep naming one links its row', async () => {
    const row = await db.baseModel.create({ data: {
      name: 'api-registered', family: 'llama', source: 'hf_dir', location: '/models/api-registered', config: { model_type: 'llama' },
      parameterCount: 7_241_732_096n, dtype: 'BF16', bytesOnDisk: 14_483_464_192n, host: 'gpu-host-1',
    } });
    const r = await callJson(H(catalogRoute.GET), 'GET', '/api/catalog');
    expect(r.body.baseModels.find((m: { name: string }) => m.name === 'api-registered')).toMatchObject({
      id: row.id, family: 'llama', source: 'hf_dir', location: '/models/api-registered', parameterCount: 7_241_732_096, dtype: 'BF16', bytesOnDisk: 14_483_464_192, host: 'gpu-host-1',
    });
    // The dashboard's host has no such directory: the row is enough (a worker on gpu-host-1 loads it).
    const created = await createSweep({ ...validSpec('on-registered'), baseModel: 'api-registered' });
    expect((await db.sweep.findUniqueOrThrow({ where: { id: created.id } })).baseModelId).toBe(row.id);
    const got = await callJson(H(sweepRoute.GET), 'GET', `/api/sweeps/${created.id}`, { params: { id: created.id } });
    expect(got.body.baseModel).toMatchObject({ id: row.id, name: 'api-registered', family: 'llama' });
  });

  it('validates a spec for the form without storing anything', async () => {
    const before = await rowCounts();
    const ok = await callJson(H(validateRoute.POST), 'POST', '/api/specs/validate', { body: validSpec('v') });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, errors: [], trialCount: 8 });
    const bad = await callJson(H(validateRoute.POST), 'POST', '/api/specs/validate', { body: { ...validSpec('v'), methods: [{ method: 'lora', space: { r: 0 } }] } });
    expect(bad.status).toBe(200);
    expect(bad.body.ok).toBe(false);
    expect(bad.body.errors).toEqual([expect.stringMatching(/^methods\[0\]\.space\.r: .*≥ 1/)]);
    const yaml = await callJson(H(validateRoute.POST), 'POST', '/api/specs/validate', { body: { yaml: 'name: [' } });
    expect(yaml.body.ok).toBe(false);
    const notJson = await callJson(H(validateRoute.POST), 'POST', '/api/specs/validate', { rawBody: '{oops', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(await rowCounts()).toEqual(before);
  });

  it('health answers when the database does', async () => {
    const r = await callJson(H(healthRoute.GET), 'GET', '/api/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, database: 'up' });
  });
});

describe('malformed sweep bodies', () => {
  it('answers every one of 230+ generated malformed bodies with a 4xx naming the problem, storing nothing', async () => {
    const bodies = generateMalformedBodies(220, 20261127);
    expect(bodies.length).toBeGreaterThanOrEqual(240);
    const before = await rowCounts();
    const failures: string[] = [];
    let badRequests = 0;
    for (const b of bodies) {
      const r = await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps', {
        rawBody: b.raw,
        headers: { 'content-type': b.yaml ? 'application/yaml' : 'application/json' },
      });
      const ok = r.status >= 400 && r.status < 500 && typeof r.body?.error === 'string'
        && (r.status !== 400 || (Array.isArray(r.body.issues) && r.body.issues.length > 0 && r.body.issues.every((i: unknown) => typeof i === 'string' && /: /.test(i))));
      if (r.status === 400) badRequests++;
      if (!ok) failures.push(`${b.label} → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    // 400 with path lines, not some blanket refusal (413 is only for oversized bodies).
    expect(badRequests).toBeGreaterThanOrEqual(230);
    expect(await rowCounts()).toEqual(before);
  });
});
