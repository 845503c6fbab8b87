// Why a lease-guarded statement matched no row: shared by the queue and the blob store.
import type pg from 'pg';
import { LeaseLostError, NotFoundError, TrialFinishedError } from '../errors';
import { isFinished, type TrialState } from '../trial-state';
import type { TrialLease } from './trial-queue';

/** The error for a lease that is no longer current, or null when it still is. */
export async function leaseProblem(pool: pg.Pool | pg.PoolClient, lease: TrialLease): Promise<Error | null> {
  const { rows } = await pool.query<{ status: TrialState; leaseOwner: string | null; leaseToken: string | null; expired: boolean | null }>(
    `SELECT "status", "leaseOwner", "leaseToken", ("leaseExpiresAt" <= now()) AS expired FROM "Trial" WHERE "id" = $1`,
    [lease.trialId],
  );
  const t = rows[0];
  if (!t) return new NotFoundError('trial', lease.trialId);
  if (isFinished(t.status)) return new TrialFinishedError(lease.trialId, t.status);
  if (t.status !== 'running') return new LeaseLostError(lease.trialId, lease.workerId, `trial is ${t.status} again`);
  if (t.leaseOwner !== lease.workerId || t.leaseToken !== lease.token) return new LeaseLostError(lease.trialId, lease.workerId, `claimed since by ${t.leaseOwner}`);
  if (t.expired !== false) return new LeaseLostError(lease.trialId, lease.workerId, 'lease expired');
  return null;
}

/** The error for a lease-guarded write that matched no row (LeaseLostError, TrialFinishedError, NotFoundError). */
export async function leaseError(pool: pg.Pool | pg.PoolClient, lease: TrialLease): Promise<Error> {
  return (await leaseProblem(pool, lease)) ?? new LeaseLostError(lease.trialId, lease.workerId, 'lease changed');
}
