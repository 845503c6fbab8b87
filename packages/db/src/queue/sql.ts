// The queue's statements. Each state change is ONE statement whose WHERE clause
// checks the lease (owner + token + expiry + status), so a check and its write can
// never be split by a concurrent requeue. Named, so pg prepares each once per connection.
import { SWEEP_IS_ADAPTIVE, SWEEP_MAX_TRIALS } from './adaptive-sql';

/** `$1` trial id, `$2` worker id, `$3` lease token: the lease is current right now. */
export const LEASE_IS_CURRENT = `"id" = $1 AND "leaseOwner" = $2 AND "leaseToken" = $3::uuid
  AND "status" = 'running' AND "leaseExpiresAt" > now()`;

/**
 * Claim: lock the first queued trial nobody else is locking (SKIP LOCKED: claimers
 * never wait on each other), skipping sweeps at their maxParallel. For such sweeps
 * the `slot` CTE increments runningCount under the sweep's row lock and re-checks the
 * limit on the newest row version, so concurrent claims cannot overshoot. Sweeps
 * without a limit are only written the first time (queued → running): no hot row.
 * $1 worker id, $2 lease ms.
 */
export const CLAIM = {
  name: 'peft_claim_v1',
  text: `WITH cand AS (
    SELECT q."id", q."sweepId" FROM "Trial" q
    WHERE q."status" = 'queued'
      AND NOT EXISTS (SELECT 1 FROM "Sweep" s WHERE s."id" = q."sweepId"
                      AND s."maxParallel" IS NOT NULL AND s."runningCount" >= s."maxParallel")
    ORDER BY q."priority" DESC, q."createdAt", q."sweepId", q."index"
    LIMIT 1
    FOR UPDATE OF q SKIP LOCKED
  ), slot AS (
    UPDATE "Sweep" s SET
      "runningCount" = s."runningCount" + (CASE WHEN s."maxParallel" IS NULL THEN 0 ELSE 1 END),
      "status" = CASE WHEN s."status" = 'queued' THEN 'running'::"SweepStatus" ELSE s."status" END,
      "startedAt" = COALESCE(s."startedAt", now())
    FROM cand
    WHERE s."id" = cand."sweepId"
      AND (s."maxParallel" IS NOT NULL OR s."status" = 'queued')
      AND (s."maxParallel" IS NULL OR s."runningCount" < s."maxParallel")
    RETURNING s."id"
  )
  UPDATE "Trial" t SET
    "status" = 'running',
    "leaseOwner" = $1,
    "leaseToken" = gen_random_uuid(),
    "leaseExpiresAt" = now() + $2::int * interval '1 millisecond',
    "startedAt" = COALESCE(t."startedAt", now())
  FROM cand JOIN "Sweep" s ON s."id" = cand."sweepId"
  WHERE t."id" = cand."id"
    AND (s."maxParallel" IS NULL OR EXISTS (SELECT 1 FROM slot))
  RETURNING t.*`,
};

/** $4 lease ms, $5 progress step | null, $6 progress total | null. */
export const HEARTBEAT = {
  name: 'peft_heartbeat_v1',
  text: `UPDATE "Trial" SET
    "leaseExpiresAt" = now() + $4::int * interval '1 millisecond',
    "progressStep" = COALESCE($5::int, "progressStep"),
    "progressTotal" = COALESCE($6::int, "progressTotal")
  WHERE ${LEASE_IS_CURRENT}
  RETURNING "cancelRequested", "leaseExpiresAt"`,
};

/** Final transition. $4 status, $5 summary, $6 measurements, $7 error, $8 backend. */
export const FINISH = {
  name: 'peft_finish_v1',
  text: `UPDATE "Trial" SET
    "status" = $4::"TrialStatus",
    "summary" = COALESCE($5::jsonb, "summary"),
    "measurements" = COALESCE($6::jsonb, "measurements"),
    "error" = COALESCE($7::text, "error"),
    "backend" = COALESCE($8::text, "backend"),
    "leaseToken" = NULL,
    "leaseExpiresAt" = NULL,
    "finishedAt" = now()
  WHERE ${LEASE_IS_CURRENT}
  RETURNING "sweepId"`,
};

/**
 * Graceful hand-back: queued again, attempt unchanged (cancelled instead when a
 * cancel was requested meanwhile). $4 checkpoint step, $5 checkpoint ref.
 */
export const RELEASE = {
  name: 'peft_release_v1',
  text: `UPDATE "Trial" SET
    "status" = (CASE WHEN "cancelRequested" THEN 'cancelled' ELSE 'queued' END)::"TrialStatus",
    "finishedAt" = CASE WHEN "cancelRequested" THEN now() ELSE NULL END,
    "leaseOwner" = NULL,
    "leaseToken" = NULL,
    "leaseExpiresAt" = NULL,
    "lastCheckpointStep" = COALESCE($4::int, "lastCheckpointStep"),
    "lastCheckpointRef" = COALESCE($5::text, "lastCheckpointRef")
  WHERE ${LEASE_IS_CURRENT}
  RETURNING "sweepId", "status"`,
};

/**
 * Metric ingest. FOR SHARE makes the lease check and the insert one atomic step: a
 * concurrent requeue/finish (which updates the row) waits for us, or — if it committed
 * first — our re-checked WHERE drops the row and nothing is inserted. ON CONFLICT makes
 * a retried batch a no-op. $4..$7 parallel arrays name, step, value, time.
 */
export const WRITE_METRICS = {
  name: 'peft_metrics_v1',
  text: `WITH lease AS (
    SELECT "id" FROM "Trial" WHERE ${LEASE_IS_CURRENT} FOR SHARE
  ), ins AS (
    INSERT INTO "MetricPoint" ("trialId", "name", "step", "value", "time")
    SELECT lease."id", p.name, p.step, p.value, COALESCE(p.time, now())
    FROM lease, unnest($4::text[], $5::int[], $6::float8[], $7::timestamptz[]) AS p(name, step, value, time)
    ON CONFLICT ("trialId", "name", "step") DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM lease)::int AS leased, (SELECT count(*) FROM ins)::int AS inserted`,
};

/** $4 step, $5 location, $6 kind, $7 bytes, $8 sha256, $9 also set as the trial's last checkpoint. */
export const RECORD_ARTIFACT = {
  name: 'peft_artifact_v1',
  text: `WITH t AS (
    UPDATE "Trial" SET
      "lastCheckpointStep" = CASE WHEN $9::boolean THEN $4::int ELSE "lastCheckpointStep" END,
      "lastCheckpointRef" = CASE WHEN $9::boolean THEN $5::text ELSE "lastCheckpointRef" END
    WHERE ${LEASE_IS_CURRENT}
    RETURNING "id"
  )
  INSERT INTO "Artifact" ("id", "trialId", "kind", "location", "bytes", "sha256", "step")
  SELECT gen_random_uuid()::text, t."id", $6::"ArtifactKind", $5, $7::bigint, $8, $4::int FROM t
  RETURNING *`,
};

/**
 * Resume: deletes the trial's metric points after a step (what a dead worker wrote past its
 * last checkpoint), in one statement with the lease check (FOR SHARE, as WRITE_METRICS). $4 step.
 */
export const DELETE_METRICS_AFTER = {
  name: 'peft_metrics_after_v1',
  text: `WITH lease AS (
    SELECT "id" FROM "Trial" WHERE ${LEASE_IS_CURRENT} FOR SHARE
  ), del AS (
    DELETE FROM "MetricPoint" m USING lease WHERE m."trialId" = lease."id" AND m."step" > $4::int RETURNING 1
  )
  SELECT (SELECT count(*) FROM lease)::int AS leased, (SELECT count(*) FROM del)::int AS deleted`,
};

/**
 * Expired leases: back to queued with attempt + 1, or failed once attempts reach
 * maxAttempts, or cancelled if cancellation was requested. $1 cut-off time | null (DB now).
 */
export const REQUEUE_EXPIRED = {
  name: 'peft_requeue_v1',
  text: `UPDATE "Trial" SET
    "attempt" = CASE WHEN "cancelRequested" THEN "attempt" ELSE "attempt" + 1 END,
    "status" = (CASE
      WHEN "cancelRequested" THEN 'cancelled'
      WHEN "attempt" + 1 >= "maxAttempts" THEN 'failed'
      ELSE 'queued' END)::"TrialStatus",
    "error" = CASE WHEN NOT "cancelRequested" AND "attempt" + 1 >= "maxAttempts"
      THEN 'lease expired ' || ("attempt" + 1) || ' times' ELSE "error" END,
    "finishedAt" = CASE WHEN "cancelRequested" OR "attempt" + 1 >= "maxAttempts" THEN now() ELSE NULL END,
    "leaseOwner" = NULL,
    "leaseToken" = NULL,
    "leaseExpiresAt" = NULL
  WHERE "status" = 'running' AND "leaseExpiresAt" <= COALESCE($1::timestamptz, now())
  RETURNING "id", "sweepId", "status", "attempt"`,
};

/**
 * Once no trial is queued or running, the sweep is completed (≥ 1 completed trial) or failed.
 * An adaptive sweep only once it has budget.maxTrials trials: before that its next trial is
 * merely not suggested yet (a finite space tried out early is finished by the reservation
 * that finds nothing to suggest, adaptive.ts). One snapshot decides: a trial a concurrent
 * reservation inserts is either counted and seen running, or neither.
 */
export const FINALIZE_SWEEP = {
  name: 'peft_finalize_sweep_v2',
  text: `UPDATE "Sweep" s SET
    "status" = (CASE WHEN EXISTS (SELECT 1 FROM "Trial" c WHERE c."sweepId" = s."id" AND c."status" = 'completed')
      THEN 'completed' ELSE 'failed' END)::"SweepStatus",
    "finishedAt" = now()
  WHERE s."id" = $1 AND s."status" IN ('queued', 'running')
    AND NOT EXISTS (SELECT 1 FROM "Trial" o WHERE o."sweepId" = s."id" AND o."status" IN ('queued', 'running'))
    AND (NOT ${SWEEP_IS_ADAPTIVE} OR (SELECT count(*) FROM "Trial" n WHERE n."sweepId" = s."id") >= ${SWEEP_MAX_TRIALS})
  RETURNING s."status"`,
};

/**
 * Adaptive sweeps that may have a trial to suggest, oldest first: not final, not external
 * (ask-and-tell: its trials are trained elsewhere, ask-tell.ts), under maxParallel, fewer
 * trials than budget.maxTrials. $1 how many.
 */
export const ADAPTIVE_CANDIDATES = {
  name: 'peft_adaptive_candidates_v2',
  text: `SELECT s."id", s."maxParallel" FROM "Sweep" s
  WHERE s."status" IN ('queued', 'running') AND ${SWEEP_IS_ADAPTIVE}
    AND NOT s."external"
    AND (s."maxParallel" IS NULL OR s."runningCount" < s."maxParallel")
    AND (SELECT count(*) FROM "Trial" n WHERE n."sweepId" = s."id") < ${SWEEP_MAX_TRIALS}
  ORDER BY s."createdAt", s."id"
  LIMIT $1`,
};

/** An adaptive sweep still open with none of its trials queued or running (it may have nothing left to suggest). $1 sweep id. */
export const ADAPTIVE_IDLE = {
  name: 'peft_adaptive_idle_v1',
  text: `SELECT 1 FROM "Sweep" s
  WHERE s."id" = $1 AND s."status" IN ('queued', 'running') AND ${SWEEP_IS_ADAPTIVE}
    AND NOT EXISTS (SELECT 1 FROM "Trial" o WHERE o."sweepId" = s."id" AND o."status" IN ('queued', 'running'))`,
};
