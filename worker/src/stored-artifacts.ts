// Checkpoint and adapter bytes live in PostgreSQL as chunked blobs (@peft-lab/db
// storeArtifact / loadArtifactContent: any size, lease-guarded, sha256-checked on read), so a
// trial requeued from a dead worker can resume on any machine that reaches the database.
// This file keeps the worker's other lease-guarded statements.
import { getPool, leaseError, type Db, type TrialLease } from '@peft-lab/db';

export { artifactLocation, loadArtifactContent, storeArtifact, type StoredArtifact } from '@peft-lab/db';

const LEASE_IS_CURRENT = (t: string) => `${t}"id" = $1 AND ${t}"leaseOwner" = $2 AND ${t}"leaseToken" = $3::uuid
  AND ${t}"status" = 'running' AND ${t}"leaseExpiresAt" > now()`;

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
  if (rows[0].leased === 0) throw await leaseError(pool, lease);
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
