import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { artifactIdOf, loadArtifactContent, openArtifactContent, storeArtifact } from './artifacts';
import { BLOB_CHUNK_BYTES_ENV, blobChunkBytes, BlobReader, collectOrphanBlobs, DEFAULT_BLOB_CHUNK_BYTES, READ_SLICE_BYTES, readBlob, writeBlob } from './blobs';
import { readDatasetContent, upsertDatasetWithContent } from './catalog';
import { connectDb, getPool, type Db } from './client';
import { BlobIntegrityError, LeaseLostError, TrialFinishedError } from './errors';
import { applyMigrations, MIGRATIONS_DIR, readMigrations } from './migrate';
import { createSweepWithTrials } from './queries';
import { TrialQueue, type TrialLease } from './queue/trial-queue';
import { createTestDatabase, type TestDatabase } from './testing';

let t: TestDatabase;
let queue: TrialQueue;
beforeAll(async () => {
  t = await createTestDatabase();
  queue = new TrialQueue(t.db);
});
afterAll(() => t?.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const pool = () => getPool(t.db);
// Short leases that still outlive a few queries on a loaded 2-core machine.
const SHORT_LEASE_MS = 1500;
const PAST_SHORT_LEASE_MS = 1700;

async function newLease(leaseMs = 60_000, worker = 'w1'): Promise<TrialLease> {
  await t.db.trial.updateMany({ where: { status: { in: ['queued', 'running'] } }, data: { status: 'cancelled' } });
  await createSweepWithTrials(t.db, { name: `s${Math.random()}`, spec: {}, task: 'spam' }, [{ method: 'full', hyperparameters: {}, seed: 1 }]);
  return (await queue.claimNextTrial(worker, leaseMs))!;
}

async function chunkSizes(blobId: string): Promise<number[]> {
  const { rows } = await pool().query<{ n: number }>('SELECT octet_length("data") AS n FROM "BlobChunk" WHERE "blobId" = $1 ORDER BY "index"', [blobId]);
  return rows.map((r) => r.n);
}
const count = async (table: string, where = 'true', values: unknown[] = []) =>
  (await pool().query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`, values)).rows[0].n;

/** Splits `b` into pieces of varying sizes, as a stream would deliver them. */
function* pieces(b: Uint8Array): Generator<Uint8Array> {
  let off = 0;
  for (let i = 0; off < b.byteLength; i++) {
    const n = [1, 3, 16, 5, 40][i % 5];
    yield b.subarray(off, off + n);
    off += n;
  }
}
async function* slowly(b: Uint8Array): AsyncGenerator<Uint8Array> {
  for (const p of pieces(b)) {
    await Promise.resolve();
    yield p;
  }
}

describe('chunk size', () => {
  it('defaults to 64 MiB and takes PEFT_LAB_BLOB_CHUNK_BYTES', () => {
    expect(blobChunkBytes({})).toBe(DEFAULT_BLOB_CHUNK_BYTES);
    expect(DEFAULT_BLOB_CHUNK_BYTES).toBe(64 * 1024 * 1024);
    expect(blobChunkBytes({ [BLOB_CHUNK_BYTES_ENV]: '4096' })).toBe(4096);
    for (const bad of ['0', '-1', '1.5', 'lots', String(256 * 1024 * 1024)]) {
      expect(() => blobChunkBytes({ [BLOB_CHUNK_BYTES_ENV]: bad })).toThrow(/PEFT_LAB_BLOB_CHUNK_BYTES = .*must be an integer number of bytes/);
    }
  });
});

describe('blobs: round trip', () => {
  const CHUNK = 7;
  // 0 bytes, under one chunk, exactly one, one more, exact multiples, and larger.
  const SIZES = [0, 1, 6, 7, 8, 14, 21, 22, 1000];

  it.each(SIZES)('%i bytes through writeBlob/readBlob with 7-byte chunks, from bytes, an iterable and an async iterable', async (n) => {
    const content = randomBytes(n);
    for (const source of [content, pieces(content), slowly(content)]) {
      const b = await writeBlob(t.db, source, { chunkBytes: CHUNK });
      expect(b).toMatchObject({ bytes: n, sha256: sha(content), chunkCount: Math.ceil(n / CHUNK) });
      const sizes = await chunkSizes(b.id);
      expect(sizes.length).toBe(Math.ceil(n / CHUNK));
      expect(sizes.slice(0, -1).every((s) => s === CHUNK)).toBe(true);
      expect(sizes.reduce((a, s) => a + s, 0)).toBe(n);
      expect(Buffer.from(await readBlob(t.db, b.id)).equals(content)).toBe(true);
    }
  });

  it('a checkpoint of 1 MiB + 3 in 64 KiB chunks (chunk size from the env var), streamed back chunk by chunk', async () => {
    const lease = await newLease();
    const content = randomBytes(1024 * 1024 + 3);
    process.env[BLOB_CHUNK_BYTES_ENV] = String(64 * 1024);
    let a;
    try {
      a = await storeArtifact(t.db, lease, { kind: 'checkpoint', file: 'checkpoint.safetensors', content, step: 4, asCheckpoint: true });
    } finally {
      delete process.env[BLOB_CHUNK_BYTES_ENV];
    }
    expect(a).toMatchObject({ bytes: content.length, sha256: sha(content), chunkCount: 17 });
    const trial = await t.db.trial.findUniqueOrThrow({ where: { id: lease.trialId } });
    expect(trial).toMatchObject({ lastCheckpointStep: 4, lastCheckpointRef: a.location });
    const row = await t.db.artifact.findUniqueOrThrow({ where: { id: a.id } });
    expect(row).toMatchObject({ kind: 'checkpoint', bytes: BigInt(content.length), sha256: sha(content), step: 4, blobId: a.blobId });
    const { artifact, reader } = await openArtifactContent(t.db, a.location);
    expect(artifact).toMatchObject({ id: a.id, kind: 'checkpoint', bytes: content.length, step: 4 });
    const got: Uint8Array[] = [];
    for await (const c of reader!.chunks()) got.push(Uint8Array.from(c));
    expect(got.length).toBe(17);
    expect(Buffer.concat(got).equals(content)).toBe(true);
    expect(Buffer.from(await loadArtifactContent(t.db, a.id)).equals(content)).toBe(true);
  });

  it('chunks larger than a read slice are read back in slices', async () => {
    const content = randomBytes(9 * 1024 * 1024 + 5);
    const b = await writeBlob(t.db, content, { chunkBytes: 8 * 1024 * 1024 });
    expect(await chunkSizes(b.id)).toEqual([8 * 1024 * 1024, 1024 * 1024 + 5]);
    const { reader } = await BlobReader.open(t.db, b.id);
    const got: Buffer[] = [];
    for await (const piece of reader!.chunks()) got.push(Buffer.from(piece));
    expect(got.map((p) => p.length)).toEqual([READ_SLICE_BYTES, READ_SLICE_BYTES, 1024 * 1024 + 5]);
    expect(Buffer.concat(got).equals(content)).toBe(true);
  });

  it('dataset content: stored as a blob, replaced on re-import (the old blob deleted), deleted with the row', async () => {
    const first = randomBytes(50);
    const data = { name: `ds-${Math.random()}`, kind: 'imported' as const, taskKind: 'classification', sizes: {}, location: 'x' };
    const ds = await upsertDatasetWithContent(t.db, data, first);
    expect(Buffer.from((await readDatasetContent(t.db, ds.id)).content!).equals(first)).toBe(true);
    const oldBlob = ds.blobId!;
    const second = randomBytes(70);
    const again = await upsertDatasetWithContent(t.db, data, second);
    expect(again.id).toBe(ds.id);
    expect(Buffer.from((await readDatasetContent(t.db, ds.id)).content!).equals(second)).toBe(true);
    expect(await count('Blob', '"id" = $1', [oldBlob])).toBe(0);
    expect(await count('BlobChunk', '"blobId" = $1', [oldBlob])).toBe(0);
    await t.db.dataset.delete({ where: { id: ds.id } });
    expect(await count('Blob', '"id" = $1', [again.blobId])).toBe(0);
    const bare = await t.db.dataset.create({ data: { ...data, name: `${data.name}-bare` } });
    expect(await readDatasetContent(t.db, bare.id)).toEqual({ content: null, importOptions: null });
  });
});

describe('blobs: integrity', () => {
  it('a corrupted chunk is an error naming the checkpoint, never returned; streaming stops before the last chunk', async () => {
    const lease = await newLease();
    const content = randomBytes(40);
    const a = await storeArtifact(t.db, lease, { kind: 'checkpoint', file: 'checkpoint.safetensors', content, step: 8, asCheckpoint: true }, { chunkBytes: 16 });
    await pool().query(`UPDATE "BlobChunk" SET "data" = overlay("data" placing '\\xff'::bytea from 3 for 1) WHERE "blobId" = $1 AND "index" = 1`, [a.blobId]);
    const err = await loadArtifactContent(t.db, a.location).catch((e) => e);
    expect(err).toBeInstanceOf(BlobIntegrityError);
    expect(err.message).toContain(`checkpoint artifact ${a.id} (${a.location})`);
    expect(err.message).toMatch(/content sha256 [0-9a-f]{64} does not match the recorded [0-9a-f]{64}/);
    const { reader } = await openArtifactContent(t.db, a.id);
    const handed: number[] = [];
    await expect((async () => { for await (const c of reader!.chunks()) handed.push(c.byteLength); })()).rejects.toThrow(BlobIntegrityError);
    expect(handed).toEqual([16, 16]); // the third (last) chunk is never handed out
  });

  it('a missing or extra chunk is an error too', async () => {
    const b = await writeBlob(t.db, randomBytes(30), { chunkBytes: 10 });
    await pool().query('DELETE FROM "BlobChunk" WHERE "blobId" = $1 AND "index" = 1', [b.id]);
    await expect(readBlob(t.db, b.id, { what: 'test blob' })).rejects.toThrow('test blob: chunk 1 of 3 is missing');
    const c = await writeBlob(t.db, randomBytes(30), { chunkBytes: 10 });
    await pool().query(`UPDATE "BlobChunk" SET "data" = "data" || '\\x00'::bytea WHERE "blobId" = $1 AND "index" = 2`, [c.id]);
    await expect(readBlob(t.db, c.id)).rejects.toThrow(/chunks hold 31 bytes, 30 recorded/);
    const d = await writeBlob(t.db, randomBytes(30), { chunkBytes: 10 });
    await pool().query(`UPDATE "BlobChunk" SET "data" = substring("data" from 2) WHERE "blobId" = $1 AND "index" = 2`, [d.id]);
    await expect(readBlob(t.db, d.id)).rejects.toThrow(/chunks hold 29 bytes, 30 recorded/);
    await expect(readBlob(t.db, '00000000-0000-0000-0000-000000000000')).rejects.toThrow(/not found/);
  });
});

describe('blobs: lease guard and atomicity', () => {
  beforeEach(async () => { await collectOrphanBlobs(t.db, { datasetGraceMs: 0 }); });

  it('a worker whose lease expired cannot write: nothing stored, the resume point unchanged', async () => {
    const lease = await newLease(SHORT_LEASE_MS);
    const good = await storeArtifact(t.db, lease, { kind: 'checkpoint', file: 'c', content: randomBytes(20), step: 2, asCheckpoint: true }, { chunkBytes: 8 });
    const blobsBefore = await count('Blob', '"trialId" = $1', [lease.trialId]);
    await sleep(PAST_SHORT_LEASE_MS);
    await expect(storeArtifact(t.db, lease, { kind: 'checkpoint', file: 'c', content: randomBytes(20), step: 4, asCheckpoint: true }, { chunkBytes: 8 }))
      .rejects.toThrow(LeaseLostError);
    expect(await count('Blob', '"trialId" = $1', [lease.trialId])).toBe(blobsBefore);
    expect(await count('Artifact', '"trialId" = $1', [lease.trialId])).toBe(1);
    expect((await t.db.trial.findUniqueOrThrow({ where: { id: lease.trialId } })).lastCheckpointRef).toBe(good.location);
  });

  it('a lease lost in the middle of a write: the next chunk is refused, the new holder\'s checkpoint is the one that counts', async () => {
    const lease = await newLease(SHORT_LEASE_MS);
    const old = randomBytes(24);
    const good = await storeArtifact(t.db, lease, { kind: 'checkpoint', file: 'c', content: old, step: 2, asCheckpoint: true }, { chunkBytes: 8 });
    let thief: TrialLease | undefined;
    async function* stolenMidway() {
      yield randomBytes(8);
      yield randomBytes(8);
      // The lease expires, another worker claims the trial; our write goes on.
      await sleep(PAST_SHORT_LEASE_MS);
      await queue.requeueExpiredLeases();
      thief = (await queue.claimNextTrial('w2', 60_000))!;
      yield randomBytes(8);
      yield randomBytes(8);
    }
    const err = await storeArtifact(t.db, lease, { kind: 'checkpoint', file: 'c', content: stolenMidway(), step: 4, asCheckpoint: true }, { chunkBytes: 8 }).catch((e) => e);
    expect(err).toBeInstanceOf(LeaseLostError);
    expect(err.message).toMatch(/claimed since by w2/);
    expect(thief?.trialId).toBe(lease.trialId);
    const trial = await t.db.trial.findUniqueOrThrow({ where: { id: lease.trialId } });
    expect(trial).toMatchObject({ lastCheckpointStep: 2, lastCheckpointRef: good.location });
    expect(Buffer.from(await loadArtifactContent(t.db, trial.lastCheckpointRef!)).equals(old)).toBe(true);
    // The stale writer's partial blob is gone; the new holder writes normally.
    expect(await count('Blob', '"trialId" = $1 AND "leaseToken" = $2::uuid', [lease.trialId, lease.token])).toBe(1); // the good one
    const next = await storeArtifact(t.db, thief!, { kind: 'checkpoint', file: 'c', content: randomBytes(9), step: 6, asCheckpoint: true }, { chunkBytes: 8 });
    expect((await t.db.trial.findUniqueOrThrow({ where: { id: lease.trialId } })).lastCheckpointRef).toBe(next.location);
    expect(await count('Blob', '"trialId" = $1', [lease.trialId])).toBe(1);
    // Finished trials are frozen.
    await queue.completeTrial(thief!, {});
    await expect(storeArtifact(t.db, thief!, { kind: 'adapter', file: 'a.json', content: randomBytes(3) })).rejects.toThrow(TrialFinishedError);
  });

  it('an interrupted write leaves the previous checkpoint intact and readable, and its remains are collected', async () => {
    const lease = await newLease();
    const old = randomBytes(100);
    const good = await storeArtifact(t.db, lease, { kind: 'checkpoint', file: 'checkpoint.safetensors', content: old, step: 10, asCheckpoint: true }, { chunkBytes: 16 });
    async function* failing() {
      yield randomBytes(40);
      throw new Error('disk read failed');
    }
    await expect(storeArtifact(t.db, lease, { kind: 'checkpoint', file: 'checkpoint.safetensors', content: failing(), step: 20, asCheckpoint: true }, { chunkBytes: 16 }))
      .rejects.toThrow('disk read failed');
    const check = async () => {
      const trial = await t.db.trial.findUniqueOrThrow({ where: { id: lease.trialId } });
      expect(trial).toMatchObject({ lastCheckpointStep: 10, lastCheckpointRef: good.location });
      expect(Buffer.from(await loadArtifactContent(t.db, good.location)).equals(old)).toBe(true);
      expect(await chunkSizes(good.blobId)).toEqual([16, 16, 16, 16, 16, 16, 4]);
    };
    await check();
    expect(await count('Blob', '"trialId" = $1', [lease.trialId])).toBe(1); // the failed write cleaned up after itself

    // What kill -9 mid-write leaves behind: a blob with some chunks, never completed or attached.
    await pool().query(`INSERT INTO "Blob" ("id", "trialId", "leaseToken") VALUES ('crashed', $1, $2::uuid)`, [lease.trialId, lease.token]);
    await pool().query(`INSERT INTO "BlobChunk" ("blobId", "index", "data") VALUES ('crashed', 0, '\\x0102'::bytea)`);
    await check();
    // Kept while its lease might still finish it; collected once the lease is gone.
    expect(await collectOrphanBlobs(t.db, { trialIds: [lease.trialId] })).toBe(0);
    await queue.releaseLease(lease);
    expect(await count('Blob', '"id" = $1', ['crashed'])).toBe(0);
    expect(await count('BlobChunk', '"blobId" = $1', ['crashed'])).toBe(0);
    await check();
    const resumed = (await queue.claimNextTrial('w3', 60_000))!;
    expect(resumed.trial.lastCheckpointRef).toBe(good.location);
  });

  it('superseded checkpoints are deleted with their chunks; other artifacts stay', async () => {
    const lease = await newLease();
    const adapter = await storeArtifact(t.db, lease, { kind: 'adapter', file: 'adapter_config.json', content: Buffer.from('{"r":2}') }, { chunkBytes: 4 });
    const stored = [];
    for (const step of [1, 2, 3]) {
      stored.push(await storeArtifact(t.db, lease, { kind: 'checkpoint', file: 'c', content: randomBytes(30), step, asCheckpoint: true }, { chunkBytes: 8 }));
    }
    const rows = await t.db.artifact.findMany({ where: { trialId: lease.trialId }, orderBy: { kind: 'asc' } });
    expect(rows.map((r) => [r.kind, r.step]).sort()).toEqual([['adapter', null], ['checkpoint', 3]]);
    for (const old of stored.slice(0, 2)) {
      expect(await count('Blob', '"id" = $1', [old.blobId])).toBe(0);
      expect(await count('BlobChunk', '"blobId" = $1', [old.blobId])).toBe(0);
    }
    expect(await count('BlobChunk', '"blobId" = $1', [stored[2].blobId])).toBe(4);
    expect(Buffer.from(await loadArtifactContent(t.db, adapter.location)).toString()).toBe('{"r":2}');
    // Deleting the trial deletes every blob of it.
    await t.db.sweep.delete({ where: { id: lease.sweepId } });
    expect(await count('Blob', '"trialId" = $1', [lease.trialId])).toBe(0);
    expect(await count('BlobChunk', '"blobId" = ANY($1::text[])', [[adapter.blobId, stored[2].blobId]])).toBe(0);
  });

  it('a reader keeps its snapshot while the checkpoint is superseded under it', async () => {
    const lease = await newLease();
    const content = randomBytes(50);
    const a = await storeArtifact(t.db, lease, { kind: 'checkpoint', file: 'c', content, step: 1, asCheckpoint: true }, { chunkBytes: 10 });
    const { reader } = await openArtifactContent(t.db, a.id);
    await storeArtifact(t.db, lease, { kind: 'checkpoint', file: 'c', content: randomBytes(5), step: 2, asCheckpoint: true }, { chunkBytes: 10 });
    expect(await count('Artifact', '"id" = $1', [a.id])).toBe(0);
    expect(Buffer.from(await reader!.readAll()).equals(content)).toBe(true);
    await expect(loadArtifactContent(t.db, a.id)).rejects.toThrow(/not found/);
    expect(artifactIdOf(a.location)).toBe(a.id);
    await expect(BlobReader.open(t.db, a.blobId)).rejects.toThrow(/not found/);
  });
});

describe('migration from one bytea value per row', () => {
  it('moves existing Artifact and Dataset content into 64 MiB chunks, readable and sha-checked', async () => {
    const old = mkdtempSync(join(tmpdir(), 'peft-lab-migrations-'));
    const all = readMigrations();
    const target = all.findIndex((m) => m.name.endsWith('_blob_chunks'));
    expect(target).toBeGreaterThan(0);
    for (const m of all.slice(0, target)) cpSync(join(MIGRATIONS_DIR, m.name), join(old, m.name), { recursive: true });
    await pool().query('CREATE DATABASE "pre_blobs"');
    const conn = { ...t.connection, database: 'pre_blobs' };
    let db: Db | undefined;
    try {
      await applyMigrations(conn, old);
      db = connectDb({ connection: conn, shared: false, poolSize: 2 });
      const p = getPool(db);
      const { rows: [sweep] } = await p.query(`INSERT INTO "Sweep" ("id", "name", "spec", "task") VALUES ('s', 'old', '{}', 'spam') RETURNING "id"`);
      await p.query(`INSERT INTO "Trial" ("id", "sweepId", "index", "method", "hyperparameters", "seed") VALUES ('t', $1, 0, 'full', '{}', 1)`, [sweep.id]);
      const big = randomBytes(64 * 1024 * 1024 + 1000); // two chunks
      const small = Buffer.from('{"peft_type":"LORA"}');
      const empty = Buffer.alloc(0);
      const ids = { big: '11111111-1111-4111-8111-111111111111', small: '22222222-2222-4222-8222-222222222222', empty: '33333333-3333-4333-8333-333333333333' };
      for (const [k, content] of [['big', big], ['small', small], ['empty', empty]] as const) {
        await p.query(`INSERT INTO "Artifact" ("id", "trialId", "kind", "location", "bytes", "sha256", "step", "content") VALUES ($1, 't', 'checkpoint', $2, $3, $4, 1, $5)`,
          [ids[k], `pg:artifact/${ids[k]}/${k}.bin`, content.length, sha(content), content]);
      }
      await p.query(`INSERT INTO "Artifact" ("id", "trialId", "kind", "location", "bytes", "sha256") VALUES ('elsewhere', 't', 'report', '/srv/report.html', 1, $1)`, ['0'.repeat(64)]);
      const csv = Buffer.from('text,label\nhi,spam\n');
      await p.query(`INSERT INTO "Dataset" ("id", "name", "kind", "taskKind", "sizes", "location", "content") VALUES ('d', 'mine', 'imported', 'classification', '{}', 'x', $1)`, [csv]);

      expect((await applyMigrations(conn)).applied).toEqual(all.slice(target).map((m) => m.name));
      expect(Buffer.from(await loadArtifactContent(db, `pg:artifact/${ids.big}/big.bin`)).equals(big)).toBe(true);
      expect(Buffer.from(await loadArtifactContent(db, ids.small)).equals(small)).toBe(true);
      expect((await loadArtifactContent(db, ids.empty)).byteLength).toBe(0);
      expect(Buffer.from((await readDatasetContent(db, 'd')).content!).equals(csv)).toBe(true);
      const { rows } = await p.query<{ id: string; chunks: number; sizes: number[] }>(
        `SELECT a."id", count(c."index")::int AS chunks, array_agg(octet_length(c."data") ORDER BY c."index") AS sizes
         FROM "Artifact" a LEFT JOIN "BlobChunk" c ON c."blobId" = a."blobId" GROUP BY a."id"`);
      const by = Object.fromEntries(rows.map((r) => [r.id, r]));
      expect(by[ids.big].sizes).toEqual([64 * 1024 * 1024, 1000]);
      expect(by[ids.small].chunks).toBe(1);
      expect(by[ids.empty].chunks).toBe(0);
      expect((await db.artifact.findUniqueOrThrow({ where: { id: 'elsewhere' } })).blobId).toBeNull();
      // The recorded sha256 is kept: content corrupted before the migration is still caught.
      await p.query(`UPDATE "BlobChunk" SET "data" = '\\x00'::bytea WHERE "blobId" = (SELECT "blobId" FROM "Artifact" WHERE "id" = $1)`, [ids.small]);
      await expect(loadArtifactContent(db, ids.small)).rejects.toThrow(BlobIntegrityError);
    } finally {
      await db?.$disconnect();
      rmSync(old, { recursive: true, force: true });
      await pool().query('DROP DATABASE IF EXISTS "pre_blobs" WITH (FORCE)');
    }
  }, 120_000);
});
