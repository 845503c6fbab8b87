// Files of a running trial (checkpoints, adapter files, full models) stored in PostgreSQL
// as chunked blobs (blobs.ts), so a trial requeued from a dead worker resumes on any
// machine that reaches the database. Location `pg:artifact/<id>/<file>`.
//
// A store is: write the blob chunk by chunk (each chunk refused once the lease is lost),
// then ONE lease-guarded statement that inserts the Artifact row pointing at the complete
// blob and, for a checkpoint, moves the trial's resume point to it. Until that statement
// commits nothing is visible and the previous checkpoint stays the resume point; after it,
// the superseded checkpoints are deleted (their blobs go with them, by trigger).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { BlobReader, collectOrphanBlobsOn, deleteUnreferencedBlob, writeBlob, type BlobSource } from './blobs';
import { getPool, type Db } from './client';
import { BlobIntegrityError, InvalidArgumentError, NotFoundError } from './errors';
import type { ArtifactKind } from './generated/enums';
import { leaseProblem } from './queue/lease';
import { LEASE_IS_CURRENT } from './queue/sql';
import type { TrialLease } from './queue/trial-queue';

// The enum's database labels (prisma/schema.prisma @map): full_model is stored as "full-model".
const DB_KIND: Record<ArtifactKind, string> = { checkpoint: 'checkpoint', adapter: 'adapter', full_model: 'full-model', report: 'report' };

export interface StoreArtifactInput {
  kind: ArtifactKind;
  /** File name, the last part of the location. */
  file: string;
  content: BlobSource;
  step?: number;
  /** Make it the trial's resume point (lastCheckpointStep/Ref) and delete older checkpoints. */
  asCheckpoint?: boolean;
}

export interface StoredArtifact {
  id: string;
  location: string;
  bytes: number;
  sha256: string;
  blobId: string;
  chunkCount: number;
}

/** `pg:artifact/<id>/<file>`: where a database-held file is found. */
export function artifactLocation(id: string, file: string): string {
  return `pg:artifact/${id}/${file}`;
}

/**
 * Artifacts by file name, the newest of each (a trial resumed after a crash may have stored one
 * twice), from rows oldest first; `file` is the last part of the location.
 */
export function newestPerFile<A extends { location: string }>(oldestFirst: readonly A[]): (A & { file: string })[] {
  const byFile = new Map<string, A & { file: string }>();
  for (const a of oldestFirst) {
    const file = a.location.slice(a.location.lastIndexOf('/') + 1);
    byFile.set(file, { ...a, file });
  }
  return [...byFile.values()];
}

/** The artifact id in a `pg:artifact/<id>/<file>` location (or a bare id), else null. */
export function artifactIdOf(locationOrId: string): string | null {
  const m = /^(?:pg:artifact\/)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/|$)/.exec(locationOrId);
  return m ? m[1] : null;
}

/**
 * The flip. $1..$3 lease, $4 step, $5 location, $6 kind, $7 blob id, $8 artifact id,
 * $9 also the trial's resume point. Matches nothing unless the lease is current and the
 * blob is complete and was written under this lease.
 */
const ATTACH_ARTIFACT = {
  name: 'peft_attach_artifact_v1',
  text: `WITH t AS (
    UPDATE "Trial" SET
      "lastCheckpointStep" = CASE WHEN $9::boolean THEN $4::int ELSE "lastCheckpointStep" END,
      "lastCheckpointRef" = CASE WHEN $9::boolean THEN $5::text ELSE "lastCheckpointRef" END
    WHERE ${LEASE_IS_CURRENT}
      AND EXISTS (SELECT 1 FROM "Blob" b WHERE b."id" = $7 AND b."trialId" = $1 AND b."leaseToken" = $3::uuid AND b."completedAt" IS NOT NULL)
    RETURNING "id"
  )
  INSERT INTO "Artifact" ("id", "trialId", "kind", "location", "bytes", "sha256", "step", "blobId")
  SELECT $8, t."id", $6::"ArtifactKind", $5, b."bytes", b."sha256", $4::int, b."id"
  FROM t JOIN "Blob" b ON b."id" = $7
  RETURNING "id"`,
};

/**
 * Stores a file of a running trial. With `asCheckpoint` it also becomes the trial's resume
 * point in the same statement that makes it visible, and older checkpoints of the trial are
 * deleted afterwards. Any size: content goes in chunks of blobChunkBytes().
 * @throws LeaseLostError, TrialFinishedError (nothing made visible, the old checkpoint stays), InvalidArgumentError
 */
export async function storeArtifact(db: Db, lease: TrialLease, a: StoreArtifactInput, opts: { chunkBytes?: number } = {}): Promise<StoredArtifact> {
  if (!(a.kind in DB_KIND)) throw new InvalidArgumentError('artifact.kind', a.kind, `must be one of ${Object.keys(DB_KIND).join(', ')}`);
  if (typeof a.file !== 'string' || !/^[^/]{1,255}$/.test(a.file)) throw new InvalidArgumentError('artifact.file', a.file, 'must be a file name of 1..255 characters without "/"');
  if (a.step !== undefined && (!Number.isInteger(a.step) || a.step < 0 || a.step > 2 ** 31 - 1)) throw new InvalidArgumentError('artifact.step', a.step, 'must be an integer in 0..2^31-1');
  const pool = getPool(db);
  const blob = await writeBlob(db, a.content, { lease, chunkBytes: opts.chunkBytes });
  const id = randomUUID();
  const location = artifactLocation(id, a.file);
  let attached: pg.QueryResult;
  try {
    attached = await pool.query({
      ...ATTACH_ARTIFACT,
      values: [lease.trialId, lease.workerId, lease.token, a.step ?? null, location, DB_KIND[a.kind], blob.id, id, a.asCheckpoint ?? false],
    });
  } catch (err) {
    await deleteUnreferencedBlob(pool, blob.id).catch(() => {});
    throw err;
  }
  if (attached.rowCount === 0) {
    await deleteUnreferencedBlob(pool, blob.id).catch(() => {});
    throw (await leaseProblem(pool, lease)) ?? new BlobIntegrityError(`blob ${blob.id}`, 'deleted before it could be attached');
  }
  // Committed: from here on a failure must not fail the store (a retry would store it twice).
  // What is left behind now is deleted by the next checkpoint or when the lease ends.
  if (a.asCheckpoint) {
    await pool.query(`DELETE FROM "Artifact" WHERE "trialId" = $1 AND "kind" = 'checkpoint' AND "id" <> $2`, [lease.trialId, id]).catch(() => {});
  }
  await collectOrphanBlobsOn(pool, { trialIds: [lease.trialId] }).catch(() => {});
  return { id, location, bytes: blob.bytes, sha256: blob.sha256, blobId: blob.id, chunkCount: blob.chunkCount };
}

export interface ArtifactHead {
  id: string;
  trialId: string;
  kind: ArtifactKind;
  location: string;
  bytes: number;
  sha256: string;
  step: number | null;
}

/**
 * Opens an artifact's content for streaming (`reader.chunks()`; the sha256 is checked
 * before the last chunk is handed out). `reader` is null for an artifact stored elsewhere
 * (no content in the database).
 * @throws NotFoundError, BlobIntegrityError, InvalidArgumentError (not an artifact id/location)
 */
export async function openArtifactContent(db: Db, locationOrId: string): Promise<{ artifact: ArtifactHead; reader: BlobReader | null }> {
  const id = artifactIdOf(locationOrId);
  if (!id) throw new InvalidArgumentError('artifact', locationOrId, 'not an artifact id or database location (pg:artifact/<id>/<file>)');
  const { reader, owner } = await BlobReader.open(db, async (client) => {
    const { rows } = await client.query<ArtifactHead & { blobId: string | null; kindLabel: string }>(
      `SELECT "id", "trialId", "kind"::text AS "kindLabel", "location", "bytes"::float8 AS "bytes", "sha256", "step", "blobId" FROM "Artifact" WHERE "id" = $1`, [id]);
    const r = rows[0];
    if (!r) throw new NotFoundError('artifact', locationOrId);
    const kind = (Object.keys(DB_KIND) as ArtifactKind[]).find((k) => DB_KIND[k] === r.kindLabel)!;
    const artifact: ArtifactHead = { id: r.id, trialId: r.trialId, kind, location: r.location, bytes: Number(r.bytes), sha256: r.sha256, step: r.step };
    return { blobId: r.blobId, what: `${kind} artifact ${r.id} (${r.location})`, owner: artifact };
  });
  return { artifact: owner!, reader };
}

/**
 * The bytes of a database-held artifact, checked against its sha256.
 * @throws NotFoundError, BlobIntegrityError (corrupt, missing chunks, or no content in the database)
 */
export async function loadArtifactContent(db: Db, locationOrId: string): Promise<Uint8Array> {
  const { artifact, reader } = await openArtifactContent(db, locationOrId);
  if (!reader) throw new BlobIntegrityError(`${artifact.kind} artifact ${artifact.id} (${artifact.location})`, 'has no stored content');
  return reader.readAll();
}
