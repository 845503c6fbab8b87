// The dashboard's reads that are not the sweeps list (sweep-list.ts) or the trial table
// (queries.ts listTrials): a trial with its artifacts, existence checks, rows by id, the
// chart aggregate of a sweep and several trials' curves. The app calls these; it has no SQL.
import { getPool, type Db } from './client';
import { NotFoundError } from './errors';
import type { Artifact, Trial } from './generated/client';

/** True when PostgreSQL answers a trivial query (the health check). Never throws. */
export async function pingDatabase(db: Db): Promise<boolean> {
  try {
    await getPool(db).query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

/** @throws NotFoundError when no sweep has this id */
export async function ensureSweepExists(db: Db, sweepId: string): Promise<void> {
  const { rowCount } = await getPool(db).query('SELECT 1 FROM "Sweep" WHERE "id" = $1', [sweepId]);
  if (!rowCount) throw new NotFoundError('sweep', sweepId);
}

/** @throws NotFoundError when no trial has this id */
export async function ensureTrialExists(db: Db, trialId: string): Promise<void> {
  const { rowCount } = await getPool(db).query('SELECT 1 FROM "Trial" WHERE "id" = $1', [trialId]);
  if (!rowCount) throw new NotFoundError('trial', trialId);
}

export type ArtifactInfo = Pick<Artifact, 'id' | 'kind' | 'location' | 'bytes' | 'sha256' | 'step' | 'createdAt'>;

export interface TrialDetail {
  /** The row without its lease token (a credential of the worker holding it). */
  trial: Omit<Trial, 'leaseToken'>;
  sweep: { id: string; name: string; task: string; status: string };
  /** Metadata only (no bytes), by kind then age. */
  artifacts: ArtifactInfo[];
  /** Names of the trial's metric series, sorted. */
  metricNames: string[];
}

/** A trial with its sweep's name, its artifacts and its metric names. @throws NotFoundError */
export async function getTrialDetail(db: Db, trialId: string): Promise<TrialDetail> {
  const row = await db.trial.findUnique({
    where: { id: trialId },
    include: {
      sweep: { select: { id: true, name: true, task: true, status: true } },
      artifacts: {
        select: { id: true, kind: true, location: true, bytes: true, sha256: true, step: true, createdAt: true },
        orderBy: [{ kind: 'asc' }, { createdAt: 'asc' }],
      },
    },
  });
  if (!row) throw new NotFoundError('trial', trialId);
  const { rows } = await getPool(db).query<{ name: string }>('SELECT DISTINCT "name" FROM "MetricPoint" WHERE "trialId" = $1 ORDER BY 1', [trialId]);
  const { leaseToken: _token, sweep, artifacts, ...trial } = row;
  return { trial, sweep, artifacts, metricNames: rows.map((r) => r.name) };
}

/** Sweeps by id (unknown ids are left out), with their specs. */
export function getSweepsByIds(db: Db, ids: string[]): Promise<{ id: string; name: string; spec: unknown }[]> {
  return db.sweep.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, spec: true } });
}

/** Trials by id (unknown ids are left out), by sweep then index, each with its sweep's id and name. */
export function getTrialsByIds(db: Db, ids: string[]): Promise<(Trial & { sweep: { id: string; name: string } })[]> {
  return db.trial.findMany({ where: { id: { in: ids } }, include: { sweep: { select: { id: true, name: true } } }, orderBy: [{ sweepId: 'asc' }, { index: 'asc' }] });
}

/** The methods a sweep's trials use, sorted. */
export async function sweepMethods(db: Db, sweepId: string): Promise<string[]> {
  const { rows } = await getPool(db).query<{ method: string }>('SELECT DISTINCT "method" FROM "Trial" WHERE "sweepId" = $1 ORDER BY 1', [sweepId]);
  return rows.map((r) => r.method);
}

/** Summaries of up to `limit` completed trials of a sweep (which summary keys its trials write). */
export async function completedTrialSummaries(db: Db, sweepId: string, limit = 20): Promise<unknown[]> {
  const { rows } = await getPool(db).query<{ summary: unknown }>(
    `SELECT "summary" FROM "Trial" WHERE "sweepId" = $1 AND "status" = 'completed' AND "summary" IS NOT NULL LIMIT $2`, [sweepId, limit]);
  return rows.map((r) => r.summary);
}
