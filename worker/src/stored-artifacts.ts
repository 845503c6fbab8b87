// Checkpoint and adapter bytes live in PostgreSQL (Artifact.content), so a trial
// requeued from a dead worker can resume on any machine that reaches the database.
// Each write is ONE statement guarded by the lease, like the queue's own writes.
import { createHash, randomUUID } from 'node:crypto';
import { getPool, LeaseLostError, NotFoundError, TrialFinishedError, type Db, type TrialLease } from '@peft-lab/db';
import { ArtifactError } from './errors.js';

const LEASE_IS_CURRENT = (t: string) => `${t}"id" = $1 AND ${t}"leaseOwner" = $2 AND ${t}"leaseToken" = $3::uuid
  AND ${t}"status" = 'running' AND ${t}"leaseExpiresAt" > now()`;

const STORE_ARTIFACT = {
  name: 'peft_worker_store_artifact_v1',
  text: `WITH t AS (
    UPDATE "Trial" SET
      "lastCheckpointStep" = CASE WHEN $9::boolean THEN $4::int ELSE "lastCheckpointStep" END,
      "lastCheckpointRef" = CASE WHEN $9::boolean THEN $5::text ELSE "lastCheckpointRef" END
    WHERE ${LEASE_IS_CURRENT('')}
    RETURNING "id"
  )
  INSERT INTO "Artifact" ("id", "trialId", "kind", "location", "bytes", "sha256", "step", "content")
  SELECT $10, t."id", $6::"ArtifactKind", $5, $7::bigint, $8, $4::int, $11::bytea FROM t
  RETURNING "id"`,
};

export type StoredArtifactKind = 'checkpoint' | 'adapter' | 'full_model';
// The enum's database labels (prisma/schema.prisma @map): full_model is stored as "full-model".
const DB_KIND: Record<StoredArtifactKind, string> = { checkpoint: 'checkpoint', adapter: 'adapter', full_model: 'full-model' };

export interface StoredArtifact {
  id: string;
  location: string;
  bytes: number;
  sha256: string;
}

/** `pg:artifact/<id>/<file>`: where a database-held file is found. */
export function artifactLocation(id: string, file: string): string {
  return `pg:artifact/${id}/${file}`;
}

/**
 * Stores a file of a running trial in the database. With `asCheckpoint` it also becomes
 * the trial's resume point (lastCheckpointStep/Ref) in the same statement, and older
 * checkpoints of the trial are deleted afterwards.
 * @throws LeaseLostError, TrialFinishedError (nothing stored)
 */
export async function storeArtifact(
  db: Db,
  lease: TrialLease,
  a: { kind: StoredArtifactKind; file: string; content: Uint8Array; step?: number; asCheckpoint?: boolean },
): Promise<StoredArtifact> {
  const id = randomUUID();
  const location = artifactLocation(id, a.file);
  const sha256 = createHash('sha256').update(a.content).digest('hex');
  const pool = getPool(db);
  const { rows } = await pool.query({
    ...STORE_ARTIFACT,
    values: [lease.trialId, lease.workerId, lease.token, a.step ?? null, location, DB_KIND[a.kind], a.content.byteLength, sha256, a.asCheckpoint ?? false, id, Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength)],
  });
  if (!rows[0]) throw await leaseError(db, lease);
  if (a.asCheckpoint) {
    await pool.query(`DELETE FROM "Artifact" WHERE "trialId" = $1 AND "kind" = 'checkpoint' AND "id" <> $2`, [lease.trialId, id]);
  }
  return { id, location, bytes: a.content.byteLength, sha256 };
}

/** The bytes of a database-held artifact, checked against its sha256. */
export async function loadArtifactContent(db: Db, location: string): Promise<Uint8Array> {
  const m = /^pg:artifact\/([0-9a-f-]{36})\//.exec(location);
  if (!m) throw new ArtifactError(`artifact location ${JSON.stringify(location)} is not a database location (pg:artifact/<id>/<file>)`);
  const { rows } = await getPool(db).query<{ content: Buffer | null; sha256: string }>(`SELECT "content", "sha256" FROM "Artifact" WHERE "id" = $1`, [m[1]]);
  const row = rows[0];
  if (!row) throw new ArtifactError(`artifact ${m[1]} (${location}) not found`);
  if (!row.content) throw new ArtifactError(`artifact ${m[1]} (${location}) has no stored content`);
  const sha = createHash('sha256').update(row.content).digest('hex');
  if (sha !== row.sha256) throw new ArtifactError(`artifact ${m[1]}: content sha256 ${sha} does not match the recorded ${row.sha256}`);
  return new Uint8Array(row.content.buffer, row.content.byteOffset, row.content.byteLength);
}

/**
 * Deletes the trial's metric points after `step` (what a dead worker wrote past its last
 * checkpoint), so the resumed run's points are the only ones: each step once, in order.
 * @throws LeaseLostError, TrialFinishedError
 */
export async function deleteMetricPointsAfter(db: Db, lease: TrialLease, step: number): Promise<number> {
  const pool = getPool(db);
  const { rows } = await pool.query<{ leased: number; deleted: number }>(
    `WITH lease AS (SELECT "id" FROM "Trial" WHERE ${LEASE_IS_CURRENT('')} FOR SHARE),
     del AS (DELETE FROM "MetricPoint" m USING lease WHERE m."trialId" = lease."id" AND m."step" > $4 RETURNING 1)
     SELECT (SELECT count(*) FROM lease)::int AS leased, (SELECT count(*) FROM del)::int AS deleted`,
    [lease.trialId, lease.workerId, lease.token, step],
  );
  if (rows[0].leased === 0) throw await leaseError(db, lease);
  return rows[0].deleted;
}

/** Evaluation histories of a sweep's other trials for one metric series (early stopping). */
export async function otherTrialsHistories(db: Db, sweepId: string, trialId: string, series: string): Promise<{ step: number; value: number }[][]> {
  const { rows } = await getPool(db).query<{ trialId: string; step: number; value: number }>(
    `SELECT m."trialId", m."step", m."value" FROM "MetricPoint" m JOIN "Trial" t ON t."id" = m."trialId"
     WHERE t."sweepId" = $1 AND t."id" <> $2 AND t."status" NOT IN ('cancelled', 'queued') AND m."name" = $3
     ORDER BY m."trialId", m."step"`,
    [sweepId, trialId, series],
  );
  const by = new Map<string, { step: number; value: number }[]>();
  for (const r of rows) {
    if (!by.has(r.trialId)) by.set(r.trialId, []);
    by.get(r.trialId)!.push({ step: r.step, value: r.value });
  }
  return [...by.values()];
}

/** This trial's own stored points of one series up to `maxStep` (a resumed run's history). */
export async function ownHistory(db: Db, trialId: string, series: string, maxStep: number): Promise<{ step: number; value: number }[]> {
  const { rows } = await getPool(db).query<{ step: number; value: number }>(
    `SELECT "step", "value" FROM "MetricPoint" WHERE "trialId" = $1 AND "name" = $2 AND "step" <= $3 ORDER BY "step"`,
    [trialId, series, maxStep],
  );
  return rows;
}

async function leaseError(db: Db, lease: TrialLease): Promise<Error> {
  const { rows } = await getPool(db).query<{ status: string; leaseOwner: string | null; leaseToken: string | null }>(
    `SELECT "status", "leaseOwner", "leaseToken" FROM "Trial" WHERE "id" = $1`, [lease.trialId]);
  const t = rows[0];
  if (!t) return new NotFoundError('trial', lease.trialId);
  if (['completed', 'failed', 'cancelled', 'pruned'].includes(t.status)) return new TrialFinishedError(lease.trialId, t.status);
  return new LeaseLostError(lease.trialId, lease.workerId, t.status !== 'running' ? `trial is ${t.status} again` : t.leaseToken !== lease.token ? `claimed since by ${t.leaseOwner}` : 'lease expired');
}
