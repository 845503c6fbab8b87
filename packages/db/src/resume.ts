// `sweep resume`: a finished sweep gets another go at what did not finish. Failed and
// cancelled trials are re-queued as NEW rows (`retryOfId` → the row they retry), so the old
// rows keep their error, summary, metric points and artifacts exactly as they were, and the
// dashboard, the reports and the adaptive history still see them. An attempt counter on the
// old row could not do that: `attempt` already counts lease expiries of one run, and a rerun
// would overwrite the row's results. Completed and pruned trials are never touched.
import { isAdaptive, validateSweepSpec, type SweepSpec } from '@peft-lab/sweeps';
import { getPool, type Db } from './client';
import { InvalidFieldError, NotFoundError, SweepStateError } from './errors';
import type { SweepStatus } from './generated/enums';
import { inTransaction } from './queue/insert-trials';

export interface ResumeSweepOptions {
  /** Adaptive (tpe) sweeps only: the new `budget.maxTrials`, above the trials the sweep has. */
  maxTrials?: number;
}

export interface ResumedTrial {
  /** The new, queued row. */
  id: string;
  index: number;
  /** The failed or cancelled row it retries (unchanged). */
  retryOf: string;
  retryOfIndex: number;
}

export interface ResumeSweepResult {
  sweepId: string;
  /** queued (retries wait for a worker), or running (an adaptive sweep continuing to suggest). */
  status: SweepStatus;
  requeued: ResumedTrial[];
  /** Set when the budget was raised. */
  maxTrials?: { from: number | null; to: number };
}

/**
 * Re-opens a finished (completed, failed or cancelled) sweep: its failed and cancelled trials
 * not retried yet get a queued retry each, and an adaptive sweep's `budget.maxTrials` is raised
 * to `opts.maxTrials` in the stored spec so workers go on suggesting. One transaction with the
 * sweep row locked: a concurrent resume waits and then sees the retries of the first.
 *
 * An external (ask-and-tell) sweep gets no queued retries — workers would claim them; its
 * failed suggestions are the user's to ask again — so only its budget is raised.
 *
 * @throws NotFoundError (unknown sweep); SweepStateError (`status: …` the sweep or one of its
 *   trials is still queued/running; `sweep: nothing to resume`); InvalidFieldError (`maxTrials: …`
 *   not an integer, not above the trials it has, or the sweep is not adaptive); SpecValidationError
 *   when the raised budget breaks the spec (startupTrials). Nothing is changed then.
 */
export async function resumeSweep(db: Db, sweepId: string, opts: ResumeSweepOptions = {}): Promise<ResumeSweepResult> {
  const { maxTrials } = opts;
  if (maxTrials !== undefined && (typeof maxTrials !== 'number' || !Number.isInteger(maxTrials) || maxTrials < 1)) {
    throw new InvalidFieldError('maxTrials', `must be a positive integer (got ${JSON.stringify(maxTrials)})`);
  }
  return inTransaction(getPool(db), async (client) => {
    // The row lock serialises resumes, submissions of trials and adaptive claims of this sweep.
    const s = await client.query<{ status: SweepStatus; spec: SweepSpec; external: boolean }>(
      'SELECT "status", "spec", "external" FROM "Sweep" WHERE "id" = $1 FOR UPDATE', [sweepId]);
    if (s.rowCount === 0) throw new NotFoundError('sweep', sweepId);
    const { status, spec, external } = s.rows[0];
    if (status === 'queued' || status === 'running') {
      throw new SweepStateError('status', `sweep ${sweepId} is ${status}; only a completed, failed or cancelled sweep can be resumed (cancel it first)`);
    }
    const counts = await client.query<{ total: number; active: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE "status" IN ('queued', 'running'))::int AS active
       FROM "Trial" WHERE "sweepId" = $1`, [sweepId]);
    const { total, active } = counts.rows[0];
    if (active > 0) {
      throw new SweepStateError('status', `sweep ${sweepId} is ${status} but ${active} of its trials are still queued or running; resume once they have stopped`);
    }

    const adaptive = Boolean(spec.strategy) && isAdaptive(spec);
    const budget = spec.budget?.maxTrials ?? null;
    let newSpec: SweepSpec | undefined;
    if (maxTrials !== undefined) {
      if (!adaptive) {
        throw new InvalidFieldError('maxTrials', `only an adaptive sweep (strategy tpe) has a budget to raise; sweep ${sweepId} is strategy ${spec.strategy?.type} with all of its trials expanded`);
      }
      if (maxTrials <= total) {
        throw new InvalidFieldError('maxTrials', `must be greater than the ${total} trials sweep ${sweepId} has (got ${maxTrials})`);
      }
      // The same rules as at submission (startupTrials ≤ maxTrials, …).
      newSpec = validateSweepSpec({ ...spec, budget: { ...spec.budget, maxTrials } });
    }

    const retries = external ? [] : (await client.query<{ id: string; index: number; newIndex: number; newId: string }>(
      `WITH todo AS (
         SELECT t.*, row_number() OVER (ORDER BY t."index") - 1 AS o FROM "Trial" t
         WHERE t."sweepId" = $1 AND t."status" IN ('failed', 'cancelled')
           AND NOT EXISTS (SELECT 1 FROM "Trial" r WHERE r."retryOfId" = t."id")
       ), base AS (SELECT COALESCE(max("index") + 1, 0) AS next FROM "Trial" WHERE "sweepId" = $1
       ), ins AS (
         INSERT INTO "Trial" ("id", "sweepId", "index", "method", "hyperparameters", "seed", "priority", "maxAttempts", "progressTotal", "retryOfId")
         SELECT gen_random_uuid()::text, todo."sweepId", base.next + todo.o, todo."method", todo."hyperparameters", todo."seed",
                todo."priority", todo."maxAttempts", todo."progressTotal", todo."id"
         FROM todo, base ORDER BY todo.o
         RETURNING "id", "index", "retryOfId"
       )
       SELECT ins."id" AS "newId", ins."index" AS "newIndex", todo."id", todo."index"
       FROM ins JOIN todo ON todo."id" = ins."retryOfId" ORDER BY ins."index"`, [sweepId])).rows;

    const effectiveBudget = newSpec?.budget.maxTrials ?? budget;
    const canSuggest = adaptive && effectiveBudget !== null && total < effectiveBudget;
    if (retries.length === 0 && !canSuggest) {
      const why = adaptive
        ? `its budget.maxTrials ${budget} is spent: pass maxTrials above ${total} to continue the search`
        : 'every trial completed or was pruned';
      throw new SweepStateError('sweep', `nothing to resume in sweep ${sweepId}: no failed or cancelled trials${external ? ' to retry (an external sweep is asked again instead)' : ''}, and ${why}`);
    }

    // Queued rows flip the sweep to running at their first claim, as a new sweep's do;
    // an adaptive sweep with nothing queued is running at once, so claims suggest for it.
    const next: SweepStatus = retries.length > 0 ? 'queued' : 'running';
    await client.query(
      `UPDATE "Sweep" SET "status" = $2::"SweepStatus", "finishedAt" = NULL, "spec" = COALESCE($3::jsonb, "spec") WHERE "id" = $1`,
      [sweepId, next, newSpec ? JSON.stringify(newSpec) : null]);
    return {
      sweepId,
      status: next,
      requeued: retries
        .map((r) => ({ id: r.newId, index: r.newIndex, retryOf: r.id, retryOfIndex: r.index }))
        .sort((a, b) => a.index - b.index),
      ...(newSpec ? { maxTrials: { from: budget, to: maxTrials! } } : {}),
    };
  });
}

export interface ResumeState {
  /** Whether resumeSweep can do something now (the dashboard shows "Resume"). */
  resumable: boolean;
  /** Failed or cancelled trials without a retry yet (0 for an external sweep: it is asked again). */
  retryable: number;
  /** Rows the sweep has (an adaptive sweep's new budget must exceed it). */
  trials: number;
  adaptive: boolean;
  /** The stored spec's budget.maxTrials. */
  maxTrials: number | null;
}

/**
 * What `resumeSweep` would find: resumable for a finished sweep with none of its trials active
 * and a failed or cancelled trial to retry, or adaptive (its budget can always be raised).
 * @throws NotFoundError
 */
export async function sweepResumeState(db: Db, sweepId: string): Promise<ResumeState> {
  const { rows } = await getPool(db).query<{ status: SweepStatus; external: boolean; adaptive: boolean; maxTrials: number | null; trials: number; active: number; retryable: number }>(
    `SELECT s."status", s."external", COALESCE(s."spec"->'strategy'->>'type' = 'tpe', false) AS adaptive,
       (s."spec"->'budget'->>'maxTrials')::int AS "maxTrials",
       (SELECT count(*)::int FROM "Trial" t WHERE t."sweepId" = s."id") AS trials,
       (SELECT count(*)::int FROM "Trial" t WHERE t."sweepId" = s."id" AND t."status" IN ('queued', 'running')) AS active,
       (SELECT count(*)::int FROM "Trial" t WHERE t."sweepId" = s."id" AND t."status" IN ('failed', 'cancelled')
          AND NOT EXISTS (SELECT 1 FROM "Trial" r WHERE r."retryOfId" = t."id")) AS retryable
     FROM "Sweep" s WHERE s."id" = $1`, [sweepId]);
  const r = rows[0];
  if (!r) throw new NotFoundError('sweep', sweepId);
  const retryable = r.external ? 0 : r.retryable;
  const finished = r.status !== 'queued' && r.status !== 'running' && r.active === 0;
  return { resumable: finished && (retryable > 0 || r.adaptive), retryable, trials: r.trials, adaptive: r.adaptive, maxTrials: r.maxTrials };
}
