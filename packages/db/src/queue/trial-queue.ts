import type pg from 'pg';
import { storeArtifact, type StoreArtifactInput, type StoredArtifact } from '../artifacts';
import { collectOrphanBlobsOn } from '../blobs';
import { getPool, type Db } from '../client';
import { isPeftLabError } from '@peft-lab/errors';
import { InvalidArgumentError, LeaseLostError, NotFoundError, TrialFinishedError } from '../errors';
import type { Artifact, Trial, Worker } from '../generated/client';
import type { ArtifactKind } from '../generated/enums';
import { isFinished, type TrialState } from '../trial-state';
import { parseInput } from '../validate';
import { reserveSuggestedTrial } from './adaptive';
import { inTransaction, insertTrials } from './insert-trials';
import { leaseError } from './lease';
import * as SQL from './sql';
import {
  artifactInputSchema,
  leaseMsSchema,
  newTrialSchema,
  workerIdSchema,
  type ArtifactInput,
  type MetricPointInput,
  type NewTrial,
  type WorkerRegistration,
} from './inputs';

/** A worker's claim on one running trial. `expiresAt` moves forward with each heartbeat. */
export interface TrialLease {
  trialId: string;
  sweepId: string;
  workerId: string;
  /** Random per claim: a stale lease object of the same worker cannot act on a newer claim. */
  token: string;
  leaseMs: number;
  expiresAt: Date;
  /** The trial row as claimed (hyperparameters, seed, attempt, last checkpoint to resume from…). */
  trial: Trial;
}

export interface HeartbeatResult {
  /** The trial or its sweep was cancelled: stop, then call markCancelled (or releaseLease). */
  cancelRequested: boolean;
  expiresAt: Date;
}

export interface RequeueResult {
  requeued: string[];
  /** Trials that reached maxAttempts ("lease expired N times"). */
  failed: string[];
  /** Expired trials whose cancellation was pending. */
  cancelled: string[];
}

/** Metric points per statement: big enough to amortise a round trip, small enough to keep locks short. */
const METRIC_BATCH = 5_000;

/** Adaptive sweeps one claim tries at most (each costs a locked suggestion); the rest wait for the next claim. */
const ADAPTIVE_CANDIDATES = 8;

/**
 * The trial queue: PostgreSQL as the storage of a distributed sweep, in the manner of
 * Optuna's RDB storage.
 *
 * Contract
 * - Thread/process safe: any number of workers on any number of hosts may call every
 *   method concurrently against the same database.
 * - A trial runs at most once at a time: `claimNextTrial` moves one `queued` trial to
 *   `running` in a single statement (`FOR UPDATE SKIP LOCKED`) and hands out a lease
 *   (owner, random token, expiry). A lost claim race returns `null`, never throws.
 * - Adaptive (tpe) sweeps have no queued rows: when no queued trial is claimable,
 *   `claimNextTrial` creates the next suggested trial of one, already claimed, under that
 *   sweep row's lock (`reserveSuggestedTrial`, queue/adaptive.ts), so concurrent claims never
 *   duplicate an index or configuration nor exceed `budget.maxTrials` or `maxParallel`.
 *   Queued trials of any sweep go first.
 * - Every write that depends on a lease (heartbeat, metrics, checkpoints, complete, fail,
 *   prune, release, markCancelled) checks owner, token, `running` and expiry in the same
 *   statement as the write. If the lease is gone it throws `LeaseLostError`; if the trial
 *   is already final it throws `TrialFinishedError`. Finished trials are frozen.
 * - No trial is lost: `requeueExpiredLeases` returns trials with expired leases to the
 *   queue with `attempt + 1` (they resume from `lastCheckpointStep/Ref`); at `maxAttempts`
 *   they fail with "lease expired N times". `releaseLease` (graceful shutdown) does not
 *   count an attempt.
 * - Cancellation is cooperative for running trials: `cancelSweep` / `cancelTrial` cancel
 *   queued trials at once and set `cancelRequested` on running ones, which the worker sees
 *   in `heartbeat` and acknowledges with `markCancelled`.
 * - Metric writes are idempotent per (trial, name, step): a retried batch stores nothing twice.
 * - A sweep's `maxParallel` is never exceeded; a sweep becomes completed/failed when its
 *   last trial finishes (an adaptive one: when nothing is left to suggest either).
 * - Times are the database's clock (`now()`), so hosts with skewed clocks agree on expiry.
 */
export class TrialQueue {
  private readonly pool: pg.Pool;

  constructor(readonly db: Db) {
    this.pool = getPool(db);
  }

  /**
   * Appends trials to a sweep as `queued`. Missing `index` continues after the sweep's highest.
   * @returns the ids of the new trials, in input order.
   * @throws NotFoundError if the sweep does not exist; InvalidArgumentError for a bad trial.
   */
  async enqueueTrials(sweepId: string, trials: NewTrial[]): Promise<string[]> {
    const parsed = trials.map((t, i) => parseInput(newTrialSchema, t, `trials[${i}]`));
    return inTransaction(this.pool, async (client) => {
      // Locks the sweep row: concurrent enqueues into one sweep number their trials in turn.
      const sweep = await client.query<{ next: number }>(
        `SELECT COALESCE((SELECT max("index") + 1 FROM "Trial" WHERE "sweepId" = $1), 0) AS next
         FROM "Sweep" WHERE "id" = $1 FOR UPDATE`, [sweepId]);
      if (sweep.rowCount === 0) throw new NotFoundError('sweep', sweepId);
      return insertTrials(client, sweepId, parsed, sweep.rows[0].next);
    });
  }

  /**
   * Claims the next queued trial (highest priority, oldest sweep, lowest index) for `workerId`;
   * when none is claimable, the next suggested trial of the oldest adaptive sweep with budget
   * left (reserveSuggestedTrial: created already claimed, one reservation per sweep at a time).
   * @returns the lease, or null when nothing is claimable (empty queue, sweeps at maxParallel,
   *   adaptive sweeps waiting for their running trials, or a lost race).
   */
  async claimNextTrial(workerId: string, leaseMs: number): Promise<TrialLease | null> {
    parseInput(workerIdSchema, workerId, 'workerId');
    parseInput(leaseMsSchema, leaseMs, 'leaseMs');
    const { rows } = await this.pool.query<Trial>({ ...SQL.CLAIM, values: [workerId, leaseMs] });
    const trial = rows[0] ?? (await this.claimSuggestedTrial(workerId, leaseMs));
    if (!trial) return null;
    return {
      trialId: trial.id,
      sweepId: trial.sweepId,
      workerId,
      token: trial.leaseToken!,
      leaseMs,
      expiresAt: trial.leaseExpiresAt!,
      trial,
    };
  }

  /** Tries the adaptive sweeps that may have budget, oldest first, until one hands out a trial. */
  private async claimSuggestedTrial(workerId: string, leaseMs: number): Promise<Trial | null> {
    const { rows } = await this.pool.query<{ id: string; maxParallel: number | null }>({ ...SQL.ADAPTIVE_CANDIDATES, values: [ADAPTIVE_CANDIDATES] });
    for (const { id, maxParallel } of rows) {
      // Without a limit, waiting for the reservation ahead (milliseconds) nearly always pays:
      // a trial is left after it. Under maxParallel, the slot it saw free is mostly gone then.
      const skipLocked = maxParallel !== null;
      let r;
      try {
        r = await inTransaction(this.pool, (client) => reserveSuggestedTrial(client, id, workerId, leaseMs, { skipLocked }));
      } catch (err) {
        // A stored spec the current rules refuse (SpecValidationError) or a sweep deleted
        // meanwhile stalls that sweep, not every worker: the claim moves on. Database errors
        // (never PeftLabErrors) reach the worker's reconnect logic as before.
        if (isPeftLabError(err)) continue;
        throw err;
      }
      if (r.status === 'reserved') return r.trial;
    }
    return null;
  }

  /**
   * Extends the lease by its `leaseMs` (and records progress when given).
   * @returns whether cancellation was requested.
   * @throws LeaseLostError, TrialFinishedError
   */
  async heartbeat(lease: TrialLease, progress?: { step?: number; total?: number }): Promise<HeartbeatResult> {
    const { rows } = await this.pool.query<{ cancelRequested: boolean; leaseExpiresAt: Date }>({
      ...SQL.HEARTBEAT,
      values: [...leaseParams(lease), lease.leaseMs, progress?.step ?? null, progress?.total ?? null],
    });
    if (!rows[0]) throw await this.leaseError(lease);
    lease.expiresAt = rows[0].leaseExpiresAt;
    return { cancelRequested: rows[0].cancelRequested, expiresAt: rows[0].leaseExpiresAt };
  }

  /**
   * Returns running trials whose lease expired before `now` (default: the database clock)
   * to the queue with attempt + 1, or fails them after maxAttempts.
   */
  async requeueExpiredLeases(now?: Date): Promise<RequeueResult> {
    const { rows } = await this.pool.query<{ id: string; sweepId: string; status: TrialState }>({
      ...SQL.REQUEUE_EXPIRED,
      values: [now ?? null],
    });
    const result: RequeueResult = { requeued: [], failed: [], cancelled: [] };
    for (const r of rows) {
      if (r.status === 'queued') result.requeued.push(r.id);
      else if (r.status === 'failed') result.failed.push(r.id);
      else result.cancelled.push(r.id);
    }
    const finishedSweeps = new Set(rows.filter((r) => r.status !== 'queued').map((r) => r.sweepId));
    for (const sweepId of finishedSweeps) await this.finalizeSweep(sweepId);
    await this.collectOrphans(rows.map((r) => r.id));
    return result;
  }

  /** Marks the trial completed with its summary metrics and measurements. @throws LeaseLostError, TrialFinishedError */
  async completeTrial(lease: TrialLease, summary: Record<string, unknown>, measurements?: Record<string, unknown>, backend?: string): Promise<void> {
    await this.finish(lease, 'completed', { summary, measurements, backend });
  }

  /** Marks the trial failed with an error text. @throws LeaseLostError, TrialFinishedError */
  async failTrial(lease: TrialLease, error: string | Error, backend?: string): Promise<void> {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : error;
    await this.finish(lease, 'failed', { error: text, backend });
  }

  /** Marks the trial pruned by early stopping (reason kept in `error`). @throws LeaseLostError, TrialFinishedError */
  async pruneTrial(lease: TrialLease, reason: string, summary?: Record<string, unknown>): Promise<void> {
    await this.finish(lease, 'pruned', { error: `pruned: ${reason}`, summary });
  }

  /** Acknowledges a requested cancellation: the trial becomes cancelled. @throws LeaseLostError, TrialFinishedError */
  async markCancelled(lease: TrialLease): Promise<void> {
    await this.finish(lease, 'cancelled', {});
  }

  /**
   * Hands the trial back to the queue without counting an attempt (graceful shutdown),
   * remembering the checkpoint to resume from. @throws LeaseLostError, TrialFinishedError
   */
  async releaseLease(lease: TrialLease, checkpoint?: { step: number; ref: string }): Promise<void> {
    const { rows } = await this.pool.query<{ sweepId: string; status: TrialState }>({
      ...SQL.RELEASE,
      values: [...leaseParams(lease), checkpoint?.step ?? null, checkpoint?.ref ?? null],
    });
    if (!rows[0]) throw await this.leaseError(lease);
    if (rows[0].status === 'cancelled') await this.finalizeSweep(rows[0].sweepId);
    await this.collectOrphans([lease.trialId]);
  }

  /**
   * Stores metric points (batched multi-row insert; duplicates of (name, step) are ignored).
   * @returns how many points were new.
   * @throws LeaseLostError (nothing stored), TrialFinishedError, InvalidArgumentError
   */
  async writeMetricPoints(lease: TrialLease, points: MetricPointInput[]): Promise<number> {
    const parsed = checkMetricPoints(points);
    let inserted = 0;
    for (let start = 0; start < Math.max(parsed.length, 1); start += METRIC_BATCH) {
      const chunk = parsed.slice(start, start + METRIC_BATCH);
      const { rows } = await this.pool.query<{ leased: number; inserted: number }>({
        ...SQL.WRITE_METRICS,
        values: [
          ...leaseParams(lease),
          chunk.map((p) => p.name),
          chunk.map((p) => p.step),
          chunk.map((p) => p.value),
          chunk.map((p) => p.time ?? null),
        ],
      });
      if (rows[0].leased === 0) throw await this.leaseError(lease);
      inserted += rows[0].inserted;
    }
    return inserted;
  }

  /**
   * Records a checkpoint artifact and makes it the trial's resume point.
   * @throws LeaseLostError, TrialFinishedError, InvalidArgumentError
   */
  async recordCheckpoint(lease: TrialLease, step: number, artifact: Omit<ArtifactInput, 'step' | 'kind'> & { kind?: ArtifactKind }): Promise<Artifact> {
    return this.insertArtifact(lease, { ...artifact, kind: artifact.kind ?? 'checkpoint', step }, true);
  }

  /** Records a non-resume artifact (adapter, full model, report) of a running trial. */
  async recordArtifact(lease: TrialLease, artifact: ArtifactInput): Promise<Artifact> {
    return this.insertArtifact(lease, artifact, false);
  }

  /**
   * Stores a file of the running trial with its bytes in the database (chunked blob, any
   * size); with `asCheckpoint` it becomes the trial's resume point in the same lease-guarded
   * statement that makes it visible (see artifacts.ts).
   * @throws LeaseLostError, TrialFinishedError (nothing made visible, the old checkpoint stays), InvalidArgumentError
   */
  async storeArtifact(lease: TrialLease, artifact: StoreArtifactInput, opts: { chunkBytes?: number } = {}): Promise<StoredArtifact> {
    return storeArtifact(this.db, lease, artifact, opts);
  }

  /**
   * Deletes the trial's metric points after `step` (what a dead worker wrote past the
   * checkpoint a resumed run starts from), so each step is stored once and in order.
   * @returns how many points were deleted.
   * @throws LeaseLostError (nothing deleted), TrialFinishedError
   */
  async deleteMetricPointsAfter(lease: TrialLease, step: number): Promise<number> {
    if (!Number.isInteger(step) || step < 0) throw new InvalidArgumentError('step', step, 'must be an integer ≥ 0');
    const { rows } = await this.pool.query<{ leased: number; deleted: number }>({ ...SQL.DELETE_METRICS_AFTER, values: [...leaseParams(lease), step] });
    if (rows[0].leased === 0) throw await this.leaseError(lease);
    return rows[0].deleted;
  }

  /**
   * Cancels a sweep: queued trials become cancelled now, running ones get cancelRequested.
   * A finished sweep is left as it is. @throws NotFoundError
   */
  async cancelSweep(sweepId: string): Promise<{ cancelled: number; signalled: number }> {
    return inTransaction(this.pool, async (client) => {
      const s = await client.query(`UPDATE "Sweep" SET "status" = CASE WHEN "status" IN ('queued', 'running')
          THEN 'cancelled'::"SweepStatus" ELSE "status" END,
          "finishedAt" = CASE WHEN "status" IN ('queued', 'running') THEN now() ELSE "finishedAt" END
        WHERE "id" = $1 RETURNING "id"`, [sweepId]);
      if (s.rowCount === 0) throw new NotFoundError('sweep', sweepId);
      const { rows } = await client.query<{ status: TrialState }>(CANCEL_TRIALS_WHERE('"sweepId" = $1'), [sweepId]);
      return countCancel(rows);
    });
  }

  /** Cancels one trial (queued: now; running: cancelRequested). @throws NotFoundError, TrialFinishedError */
  async cancelTrial(trialId: string): Promise<{ status: TrialState }> {
    const { rows } = await this.pool.query<{ status: TrialState; sweepId: string }>(CANCEL_TRIALS_WHERE('"id" = $1'), [trialId]);
    if (!rows[0]) {
      const t = await this.pool.query<{ status: TrialState }>('SELECT "status" FROM "Trial" WHERE "id" = $1', [trialId]);
      if (!t.rows[0]) throw new NotFoundError('trial', trialId);
      throw new TrialFinishedError(trialId, t.rows[0].status);
    }
    if (rows[0].status === 'cancelled') await this.finalizeSweep(rows[0].sweepId);
    return { status: rows[0].status };
  }

  /** Creates or refreshes a worker row (id chosen by the worker, e.g. `${host}:${pid}:${random}`). */
  async registerWorker(w: WorkerRegistration): Promise<Worker> {
    const id = parseInput(workerIdSchema, w.id, 'worker.id');
    const { rows } = await this.pool.query<Worker>(
      `INSERT INTO "Worker" ("id", "host", "pid", "backend") VALUES ($1, $2, $3, $4)
       ON CONFLICT ("id") DO UPDATE SET "host" = EXCLUDED."host", "pid" = EXCLUDED."pid",
         "backend" = EXCLUDED."backend", "lastHeartbeat" = now()
       RETURNING *`, [id, w.host, w.pid, w.backend ?? null]);
    return rows[0];
  }

  /** Marks the worker alive. @throws NotFoundError if it never registered. */
  async workerHeartbeat(workerId: string): Promise<void> {
    const r = await this.pool.query('UPDATE "Worker" SET "lastHeartbeat" = now() WHERE "id" = $1', [workerId]);
    if (r.rowCount === 0) throw new NotFoundError('worker', workerId);
  }

  private async finish(lease: TrialLease, status: TrialState, f: { summary?: unknown; measurements?: unknown; error?: string; backend?: string }) {
    const { rows } = await this.pool.query<{ sweepId: string }>({
      ...SQL.FINISH,
      values: [
        ...leaseParams(lease),
        status,
        f.summary === undefined ? null : JSON.stringify(f.summary),
        f.measurements === undefined ? null : JSON.stringify(f.measurements),
        f.error ?? null,
        f.backend ?? null,
      ],
    });
    if (!rows[0]) throw await this.leaseError(lease);
    await this.finalizeSweep(rows[0].sweepId);
    await this.collectOrphans([lease.trialId]);
  }

  private async insertArtifact(lease: TrialLease, artifact: ArtifactInput, isCheckpoint: boolean): Promise<Artifact> {
    const a = parseInput(artifactInputSchema, artifact, 'artifact');
    const { rows } = await this.pool.query<Artifact>({
      ...SQL.RECORD_ARTIFACT,
      values: [...leaseParams(lease), a.step ?? null, a.location, a.kind, a.bytes, a.sha256, isCheckpoint],
    });
    if (!rows[0]) throw await this.leaseError(lease);
    return { ...rows[0], bytes: BigInt(rows[0].bytes) };
  }

  /**
   * Runs after the statement that finished a trial has committed, so the last of several
   * concurrent finishers always sees every other one (READ COMMITTED: fresh snapshot).
   */
  private async finalizeSweep(sweepId: string): Promise<void> {
    const { rowCount } = await this.pool.query({ ...SQL.FINALIZE_SWEEP, values: [sweepId] });
    if (rowCount) return;
    // An adaptive sweep short of maxTrials whose trials are all done: finished now if nothing
    // is left to suggest (a finite space tried out); else its next claim suggests and runs on.
    const idle = await this.pool.query({ ...SQL.ADAPTIVE_IDLE, values: [sweepId] });
    if (!idle.rowCount) return;
    await inTransaction(this.pool, (client) => reserveSuggestedTrial(client, sweepId, 'finalize', 1, { dryRun: true }));
  }

  /**
   * Blobs written under a lease that has ended and never attached (a write cut short by a
   * crash, a lost lease or an outage). Best effort: the state change has committed already,
   * and a failure here must not make a caller retry it.
   */
  private async collectOrphans(trialIds: string[]): Promise<void> {
    if (trialIds.length) await collectOrphanBlobsOn(this.pool, { trialIds }).catch(() => {});
  }

  /** Why a lease-guarded statement matched no row. */
  private leaseError(lease: TrialLease): Promise<Error> {
    return leaseError(this.pool, lease);
  }
}

const CANCEL_TRIALS_WHERE = (where: string) => `UPDATE "Trial" SET
    "status" = (CASE WHEN "status" = 'queued' THEN 'cancelled' ELSE "status"::text END)::"TrialStatus",
    "finishedAt" = CASE WHEN "status" = 'queued' THEN now() ELSE "finishedAt" END,
    "cancelRequested" = true
  WHERE ${where} AND "status" IN ('queued', 'running')
  RETURNING "status", "sweepId"`;

function countCancel(rows: { status: TrialState }[]) {
  const cancelled = rows.filter((r) => r.status === 'cancelled').length;
  return { cancelled, signalled: rows.length - cancelled };
}

function leaseParams(lease: TrialLease): [string, string, string] {
  return [lease.trialId, lease.workerId, lease.token];
}

/**
 * Same rules as metricPointSchema, hand-written: ingest is the hottest path and zod's
 * per-object parse cost more CPU than the database insert itself.
 */
function checkMetricPoints(points: MetricPointInput[]): MetricPointInput[] {
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (typeof p?.name !== 'string' || p.name.length === 0 || p.name.length > 200) {
      throw new InvalidArgumentError(`points[${i}].name`, p?.name, 'must be a string of 1..200 characters');
    }
    if (!Number.isInteger(p.step) || p.step < 0 || p.step > 2 ** 31 - 1) {
      throw new InvalidArgumentError(`points[${i}].step`, p.step, 'must be an integer in 0..2^31-1');
    }
    if (typeof p.value !== 'number') throw new InvalidArgumentError(`points[${i}].value`, p.value, 'must be a number');
    if (p.time !== undefined && !(p.time instanceof Date)) throw new InvalidArgumentError(`points[${i}].time`, p.time, 'must be a Date');
  }
  return points;
}
