// Adaptive sweeps (strategy tpe) in the queue: their trials do not exist until someone asks
// for one. Each new trial is suggested from the sweep's own trial rows (suggestTrial of
// @peft-lab/sweeps) and stored already claimed, under the sweep row's lock, so concurrent
// askers see each other's trials and never get the same index, a duplicate configuration or
// more than budget.maxTrials / maxParallel.
import type pg from 'pg';
import {
  DEFAULT_MAX_ATTEMPTS, isAdaptive, objectiveValue, suggestTrial, sweepObjectives, trialRecord, TRIAL_BOOKKEEPING_KEYS, validateSweepSpec,
  type HyperValue, type ObjectiveTask, type SweepSpec, type Trial as SuggestedTrial, type TrialOutcome, type TrialTraining,
} from '@peft-lab/sweeps';
import { InvalidArgumentError, NotFoundError } from '../errors';
import type { Trial } from '../generated/client';
import type { SweepStatus, TrialStatus } from '../generated/enums';
import { objectiveTaskOfSweep } from '../objective';

export type ReserveResult =
  /** A new trial, stored `running` with a lease for `owner` (index = trials before it). */
  | { status: 'reserved'; trial: Trial; suggestion: SuggestedTrial }
  /**
   * Nothing to hand out now, ask again later: the sweep is at maxParallel, or its budget is
   * taken (or its finite space tried) while some of its trials are still queued or running.
   */
  | { status: 'busy'; reason: 'max-parallel' | 'trials-active' | 'locked' }
  /** The sweep is final (`sweepStatus`): it was already, or this call found nothing left to suggest and finished it. */
  | { status: 'finished'; sweepStatus: SweepStatus }
  /** With `dryRun`: the trial a reservation would store now (nothing stored). */
  | { status: 'available'; suggestion: SuggestedTrial };

export interface ReserveOptions {
  /** Lease expiries the new trial survives before it fails (default DEFAULT_MAX_ATTEMPTS, as submitted trials). */
  maxAttempts?: number;
  /**
   * Store no trial: say what would be reserved ('available'), and still finish the sweep when
   * nothing is left (how a finished trial's finaliser settles an adaptive sweep).
   */
  dryRun?: boolean;
  /**
   * Another reservation of the sweep holds its lock: return busy ('locked') at once instead of
   * waiting for it (FOR UPDATE SKIP LOCKED). For sweeps at their maxParallel, where the waiter
   * would mostly find the slot taken.
   */
  skipLocked?: boolean;
}

interface SweepRow {
  id: string;
  spec: unknown;
  status: SweepStatus;
  task: string;
  datasetId: string | null;
  taskKind: string | null;
  maxParallel: number | null;
  runningCount: number;
}

interface HistoryRow {
  index: number;
  method: string;
  seed: number;
  hyperparameters: Record<string, unknown>;
  status: TrialStatus;
  summary: Record<string, unknown> | null;
  measurements: Record<string, unknown> | null;
}

/**
 * Suggests the next trial of an adaptive sweep and stores it already claimed by `owner`
 * (status `running`, a fresh lease token, expiry now + `leaseMs`), or says why not.
 *
 * Runs on the caller's client INSIDE the caller's open transaction (BEGIN … COMMIT: the
 * trial becomes visible, and the lock is released, at its commit). It first locks the sweep
 * row (`SELECT … FOR UPDATE`): every reservation of one sweep waits for the previous one to
 * commit and then reads its trial, so the history it suggests from is complete (READ
 * COMMITTED: each statement after the lock sees the earlier commits). The same lock is the
 * one claimNextTrial's maxParallel slot and the runningCount trigger take, so the running
 * count it checks cannot move meanwhile.
 *
 * History: the sweep's trial rows by index; state completed → completed, pruned → pruned,
 * failed / cancelled → failed, queued / running → running (counted against the budget,
 * never suggested again); values from `objectiveValue` of each of `sweepObjectives(spec,
 * task)` over the row's summary and measurements (completed and pruned rows only); a pruned
 * row's `step` (how far it got: TPE ranks pruned trials by it) is its summary's `steps`.
 *
 * When suggestTrial gives nothing (budget.maxTrials reached, or every configuration of a
 * finite space tried) and none of the sweep's trials is queued or running, the sweep is
 * finished here (completed with ≥ 1 completed trial, else failed, as other sweeps).
 *
 * Used by `TrialQueue.claimNextTrial` (owner = the worker id) and by ask-and-tell
 * (`peft-lab sweep ask`: an owner that is not a worker; the lease is then whatever the
 * asker needs to train and tell, heartbeats extend it as a worker's).
 *
 * @param client a pooled client with an open transaction
 * @param owner stored as the lease owner (a worker id, or an ask-and-tell name)
 * @param leaseMs the lease's length; it expires like any other (requeued, then claimable by workers)
 * @throws NotFoundError (no such sweep), InvalidArgumentError (the sweep is not adaptive)
 * @example
 * const r = await inTransaction(pool, (c) => reserveSuggestedTrial(c, sweepId, 'ask:cli', 3_600_000));
 * if (r.status === 'reserved') train(r.trial.hyperparameters);
 */
export async function reserveSuggestedTrial(client: pg.PoolClient, sweepId: string, owner: string, leaseMs: number, opts: ReserveOptions = {}): Promise<ReserveResult> {
  const { rows: sweeps } = await client.query<SweepRow>(
    `SELECT s."id", s."spec", s."status", s."task", s."datasetId", d."taskKind", s."maxParallel", s."runningCount"
     FROM "Sweep" s LEFT JOIN "Dataset" d ON d."id" = s."datasetId"
     WHERE s."id" = $1 FOR UPDATE OF s${opts.skipLocked ? ' SKIP LOCKED' : ''}`, [sweepId]);
  const sweep = sweeps[0];
  if (!sweep && opts.skipLocked && (await client.query('SELECT 1 FROM "Sweep" WHERE "id" = $1', [sweepId])).rowCount) return { status: 'busy', reason: 'locked' };
  if (!sweep) throw new NotFoundError('sweep', sweepId);
  const spec = validateSweepSpec(sweep.spec);
  if (!isAdaptive(spec)) throw new InvalidArgumentError('sweepId', sweepId, `is not an adaptive sweep (strategy ${spec.strategy.type}: its trials were stored at submission)`);
  if (sweep.status !== 'queued' && sweep.status !== 'running') return { status: 'finished', sweepStatus: sweep.status };
  if (sweep.maxParallel !== null && sweep.runningCount >= sweep.maxParallel) return { status: 'busy', reason: 'max-parallel' };

  const { rows } = await client.query<HistoryRow>(
    `SELECT "index", "method", "seed", "hyperparameters", "status", "summary", "measurements"
     FROM "Trial" WHERE "sweepId" = $1 ORDER BY "index"`, [sweepId]);
  const task = objectiveTaskOfSweep({ task: sweep.task, datasetId: sweep.datasetId, dataset: sweep.taskKind ? { taskKind: sweep.taskKind } : null });
  const history = suggestionHistory(spec, rows, task);
  const next = suggestTrial(spec, history, { task });
  if (!next) {
    if (rows.some((r) => r.status === 'queued' || r.status === 'running')) return { status: 'busy', reason: 'trials-active' };
    return { status: 'finished', sweepStatus: await finishAdaptiveSweep(client, sweepId, rows) };
  }

  if (opts.dryRun) return { status: 'available', suggestion: next };
  const record = trialRecord(next, { maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS });
  const { rows: inserted } = await client.query<Trial>(
    `INSERT INTO "Trial" ("id", "sweepId", "index", "method", "hyperparameters", "seed", "maxAttempts", "progressTotal",
        "status", "leaseOwner", "leaseToken", "leaseExpiresAt", "startedAt")
     VALUES (gen_random_uuid()::text, $1, $2, $3, $4::jsonb, $5, $6, $7,
        'running', $8, gen_random_uuid(), now() + $9::int * interval '1 millisecond', clock_timestamp())
     RETURNING *`,
    [sweepId, rows.length, record.method, JSON.stringify(record.hyperparameters), record.seed, record.maxAttempts, record.progressTotal ?? null, owner, leaseMs],
  );
  // startedAt is the insert's own time, not the transaction's (now()), which began before the
  // lock wait: a trial then never seems to start before the one whose slot it took finished.
  // As the claim statement does: a slot of maxParallel (the trigger gives it back when the
  // trial leaves running), and the sweep starts with its first trial.
  await client.query(
    `UPDATE "Sweep" SET
       "runningCount" = "runningCount" + (CASE WHEN "maxParallel" IS NULL THEN 0 ELSE 1 END),
       "status" = CASE WHEN "status" = 'queued' THEN 'running'::"SweepStatus" ELSE "status" END,
       "startedAt" = COALESCE("startedAt", now())
     WHERE "id" = $1`, [sweepId]);
  return { status: 'reserved', trial: inserted[0], suggestion: next };
}

/**
 * The history suggestTrial reads, from a sweep's trial rows ordered by index.
 * @param task the sweep's task (objectiveTaskOfSweep), for the default objective's direction and metric
 */
export function suggestionHistory(spec: SweepSpec, rows: readonly HistoryRow[], task: ObjectiveTask = {}): TrialOutcome[] {
  const objectives = sweepObjectives(spec, task);
  return rows.map((r) => {
    const state = OUTCOME_STATE[r.status];
    const values = state === 'completed' || state === 'pruned'
      ? objectives.map((o) => objectiveValue(o, { summary: r.summary, measurements: r.measurements }))
      : objectives.map(() => null);
    // A pruned trial's summary is its last evaluation's (the worker's summarize at the stop) and `steps` how far it got.
    const steps = state === 'pruned' ? r.summary?.steps : undefined;
    return { trial: storedTrial(r), value: values[0], values, state, ...(typeof steps === 'number' ? { step: steps } : {}) };
  });
}

const OUTCOME_STATE: Record<TrialStatus, TrialOutcome['state']> = {
  completed: 'completed',
  pruned: 'pruned',
  failed: 'failed',
  cancelled: 'failed',
  queued: 'running',
  running: 'running',
};

/** A stored trial row back as the Trial it was suggested as (trialRecord's layout, reversed). */
function storedTrial(r: HistoryRow): SuggestedTrial {
  const hp = r.hyperparameters ?? {};
  const hyperparameters: Record<string, HyperValue> = {};
  for (const [k, v] of Object.entries(hp)) if (!TRIAL_BOOKKEEPING_KEYS.includes(k)) hyperparameters[k] = v as HyperValue;
  return {
    index: r.index,
    method: r.method as SuggestedTrial['method'],
    ...(typeof hp.label === 'string' ? { label: hp.label } : {}),
    hyperparameters,
    training: { ...(hp.training as TrialTraining | undefined) } as TrialTraining,
    seed: r.seed,
    isBaseline: hp.isBaseline === true,
    entry: typeof hp.entry === 'number' ? hp.entry : null,
    configKey: typeof hp.configKey === 'string' ? hp.configKey : `row:${r.index}`,
  };
}

/** Completed with ≥ 1 completed trial, else failed — FINALIZE_SWEEP's rule, under the lock we hold. */
async function finishAdaptiveSweep(client: pg.PoolClient, sweepId: string, rows: readonly HistoryRow[]): Promise<SweepStatus> {
  const status: SweepStatus = rows.some((r) => r.status === 'completed') ? 'completed' : 'failed';
  await client.query(
    `UPDATE "Sweep" SET "status" = $2::"SweepStatus", "finishedAt" = now() WHERE "id" = $1 AND "status" IN ('queued', 'running')`,
    [sweepId, status]);
  return status;
}
