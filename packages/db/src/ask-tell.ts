// Ask-and-tell, for users who train elsewhere (Optuna's `study.ask()` / `study.tell()`):
// `askTrial` reserves the sweep's next suggestion, `tellTrial` records what training it gave.
//
// - Such a sweep is created external (`submitExternalSweep`, `peft-lab sweep create --external`,
//   POST /api/sweeps?external=true) and is adaptive (strategy tpe): it has no trial rows until
//   asked, and workers never claim it (the adaptive claim skips external sweeps; an external
//   sweep never has a queued row).
// - A suggestion is the adaptive queue's own (`reserveSuggestedTrial`): the same history, budget
//   and maxParallel rules as a worker's claim, stored `running` under a lease owned by
//   ASK_OWNER. The lease is long (DEFAULT_ASK_LEASE_MS, 7 days) and a reservation has ONE
//   attempt, so one never told fails with "lease expired 1 times" when the queue's expiry sweep
//   (requeueExpiredLeases: run by workers, `peft-lab up`, and each ask here) passes it — it is
//   never handed to a worker — and the next ask learns that it failed.
// - A told value lands where every reader looks: a task metric in `summary[eval_<metric>]`
//   (final_loss: `summary.final_loss`), a cost in `measurements` (`trainableParams`,
//   `peakBytes`, `latencyMsBatch1`… : the objective's summaryKey), so `objectiveValue`, the
//   charts, the reports and the next suggestion read it as a worker's result.
import { COST_METRICS, isAdaptive, parseSweepSpec, sweepObjectives, TRIAL_BOOKKEEPING_KEYS, validateSweepSpec, type SweepSpec } from '@peft-lab/sweeps';
import { getPool, type Db } from './client';
import { InvalidFieldError, LeaseLostError, NotFoundError, SweepResourceError, SweepStateError, TrialFinishedError } from './errors';
import type { Sweep, Trial } from './generated/client';
import { objectiveTaskOfSweep } from './objective';
import { createSweepWithTrials } from './queries';
import { reserveSuggestedTrial } from './queue/adaptive';
import { inTransaction } from './queue/insert-trials';
import { TrialQueue, type TrialLease } from './queue/trial-queue';
import { resolveTask } from './sweep-submission';
import { isFinished } from './trial-state';

/** Lease owner of an ask-and-tell reservation (a worker id never looks like this). */
export const ASK_OWNER = 'ask-and-tell';
/** How long an asked trial stays reserved: a week of training elsewhere. */
export const DEFAULT_ASK_LEASE_MS = 7 * 24 * 3600 * 1000;
/** The lease column's limit (milliseconds as a 32-bit int in the statements): ~24.8 days. */
const MAX_ASK_LEASE_MS = 2 ** 31 - 1;

/**
 * Stores an external (ask-and-tell) sweep: validated as any sweep, adaptive (strategy tpe),
 * no trials until asked. The base model is not checked (it is trained elsewhere); a task this
 * database knows is linked (its metric is the default objective), another is kept by name.
 * @throws SpecSyntaxError, SpecValidationError, InvalidFieldError (`strategy.type: …` not tpe); nothing is stored then.
 */
export async function submitExternalSweep(db: Db, source: string | object, opts: { format?: 'yaml' | 'json' } = {}): Promise<{ sweep: Sweep; spec: SweepSpec }> {
  const spec = typeof source === 'string' ? parseSweepSpec(source, opts.format) : validateSweepSpec(source);
  if (!isAdaptive(spec)) {
    throw new InvalidFieldError('strategy.type', `an external (ask-and-tell) sweep must be adaptive: strategy tpe with budget.maxTrials (got ${spec.strategy.type}, whose trials are all expanded at submission)`);
  }
  let datasetId: string | undefined;
  try {
    datasetId = (await resolveTask(db, spec.task)).datasetId ?? undefined;
  } catch (err) {
    if (!(err instanceof SweepResourceError)) throw err;
  }
  const { sweep } = await createSweepWithTrials(
    db,
    { name: spec.name, spec: spec as unknown as Record<string, unknown>, task: spec.task, datasetId, maxParallel: spec.budget.maxParallel, external: true },
    [],
  );
  return { sweep, spec };
}

/** One asked trial: what to train. */
export interface AskedTrial {
  sweepId: string;
  trialId: string;
  /** Position in the sweep (0-based). */
  index: number;
  method: string;
  label?: string;
  /** The method's hyperparameters (defaults filled in). */
  hyperparameters: Record<string, unknown>;
  /** Training parameters: lr, maxSteps | epochs, batchSize, … */
  training: Record<string, unknown>;
  seed: number;
  configKey: string;
  /** The sweep's objectives, in the order `values` are told. */
  objectives: { metric: string; direction: 'maximize' | 'minimize' }[];
  /** Told after this, the reservation is gone (the trial failed: "lease expired 1 times"). */
  reservedUntil: Date;
}

export interface AskOptions {
  /** How long the trial stays reserved; default DEFAULT_ASK_LEASE_MS (7 days), at most ~24.8 days. */
  leaseMs?: number;
}

/**
 * Suggests and reserves the next trial of an external sweep.
 * @throws NotFoundError; InvalidFieldError (`leaseMs: …`); SweepStateError (`sweep: …`) when the
 *   sweep is not external, is finished (its budget spent: resume it with a higher maxTrials),
 *   or has every remaining trial reserved already (budget or maxParallel): tell those first.
 */
export async function askTrial(db: Db, sweepId: string, opts: AskOptions = {}): Promise<AskedTrial> {
  const leaseMs = opts.leaseMs ?? DEFAULT_ASK_LEASE_MS;
  if (!Number.isInteger(leaseMs) || leaseMs < 1 || leaseMs > MAX_ASK_LEASE_MS) {
    throw new InvalidFieldError('leaseMs', `must be an integer of 1..${MAX_ASK_LEASE_MS} milliseconds (got ${JSON.stringify(leaseMs)})`);
  }
  const sweep = await externalSweep(db, sweepId);
  const spec = sweep.spec as unknown as SweepSpec;
  // An ask-and-tell user may run no worker (whose loop settles expired leases): settle them
  // here, so a reservation past its expiry is failed and counted as such before suggesting.
  await new TrialQueue(db).requeueExpiredLeases();
  // One attempt: an expired reservation fails instead of going back to the queue, where a worker would take it.
  const r = await inTransaction(getPool(db), (client) => reserveSuggestedTrial(client, sweepId, ASK_OWNER, leaseMs, { maxAttempts: 1 }));
  if (r.status === 'finished') {
    throw new SweepStateError('sweep', r.sweepStatus === 'cancelled'
      ? `sweep ${sweepId} is cancelled; nothing more to ask (peft-lab sweep resume ${sweepId} continues it)`
      : `sweep ${sweepId} is ${r.sweepStatus}: its budget.maxTrials ${spec.budget.maxTrials} is spent or its space tried; nothing more to ask (peft-lab sweep resume ${sweepId} --max-trials N continues it)`);
  }
  if (r.status === 'busy') {
    const reserved = await getPool(db).query<{ n: number }>(`SELECT count(*)::int AS n FROM "Trial" WHERE "sweepId" = $1 AND "status" = 'running'`, [sweepId]);
    const n = reserved.rows[0].n;
    throw new SweepStateError('sweep', r.reason === 'max-parallel'
      ? `sweep ${sweepId} has ${n} trials asked and not told, its budget.maxParallel ${sweep.maxParallel}: tell one first`
      : `sweep ${sweepId}: budget.maxTrials ${spec.budget.maxTrials} is taken, ${n} of them asked and not told yet: tell them (the sweep then finishes)`);
  }
  if (r.status !== 'reserved') throw new SweepStateError('sweep', `sweep ${sweepId}: no trial reserved (${r.status})`);
  return askedTrial(r.trial, sweep);
}

/** What a tell records. Exactly one of value, values, failed — or pruned, with or without a value. */
export interface TellInput {
  /** The objective's value (single-objective sweeps); a numeric string is accepted (the CLI). */
  value?: unknown;
  /** Every objective's value in the sweep's `objectives` order; `"a,b"` is accepted (the CLI). */
  values?: unknown;
  /** The training failed elsewhere; `reason` says why. */
  failed?: boolean;
  /** Stopped early (its value, when given, is the one it stopped at). */
  pruned?: boolean;
  reason?: unknown;
}

export interface TellResult {
  sweepId: string;
  trialId: string;
  index: number;
  status: 'completed' | 'failed' | 'pruned';
  /** The objectives' values as stored (null for a failed trial). */
  values: (number | null)[];
  /** The sweep's status after the tell (completed/failed once its last trial is told). */
  sweepStatus: string;
}

/**
 * Records the result of an asked trial, as a worker's `completeTrial` / `failTrial` /
 * `pruneTrial` does (the same lease-guarded statement, the same sweep finalisation).
 * The input is checked before anything is read or written.
 * @throws InvalidFieldError (`value: must be a number`, `values: …`, `failed: …`, `reason: …`);
 *   NotFoundError (no such sweep, or no such trial in it); TrialFinishedError (told already, or
 *   failed when its reservation expired); SweepStateError (`trial: …` its reservation has
 *   expired, or it is not an asked trial). Nothing is stored then.
 */
export async function tellTrial(db: Db, sweepId: string, trialId: string, input: TellInput): Promise<TellResult> {
  const told = checkTell(input);
  const sweep = await externalSweep(db, sweepId);
  const objectives = sweepObjectives(sweep.spec, objectiveTaskOfSweep(sweep));
  let values: (number | null)[] = [];
  if (told.values) {
    if (told.values.length !== objectives.length) {
      const names = objectives.map((o) => o.metric).join(', ');
      throw new InvalidFieldError(told.field, objectives.length === 1
        ? `the sweep has one objective (${names}): give --value / value, not ${told.values.length} values`
        : `the sweep has ${objectives.length} objectives (${names}): give ${objectives.length} values in that order (got ${told.values.length})`);
    }
    values = told.values;
  }
  const trial = await db.trial.findFirst({ where: { id: trialId, sweepId } });
  if (!trial) throw new NotFoundError('trial', trialId);
  if (isFinished(trial.status)) throw new TrialFinishedError(trialId, trial.status);
  if (trial.leaseOwner !== ASK_OWNER || !trial.leaseToken || !trial.leaseExpiresAt) {
    throw new SweepStateError('trial', `trial ${trialId} is ${trial.status} and was not asked (no ask-and-tell reservation)`);
  }
  const lease: TrialLease = {
    trialId, sweepId, workerId: ASK_OWNER, token: trial.leaseToken, leaseMs: 1, expiresAt: trial.leaseExpiresAt, trial,
  };
  const summary: Record<string, number> = {};
  const measurements: Record<string, number> = {};
  objectives.forEach((o, i) => {
    const v = values[i];
    if (v === undefined || v === null) return;
    if ((COST_METRICS as readonly string[]).includes(o.metric)) measurements[o.summaryKey] = v;
    else summary[o.summaryKey] = v;
  });
  if (told.status === 'pruned' && Object.keys(measurements).length) {
    // pruneTrial stores a summary only: a cost would be dropped without a word.
    throw new InvalidFieldError(told.field, `a pruned trial keeps its task metrics only (${objectives.filter((o) => !(COST_METRICS as readonly string[]).includes(o.metric)).map((o) => o.metric).join(', ') || 'none in this sweep'}); tell it --pruned without values, or --failed`);
  }
  const queue = new TrialQueue(db);
  try {
    if (told.status === 'completed') await queue.completeTrial(lease, summary, Object.keys(measurements).length ? measurements : undefined, 'external');
    else if (told.status === 'pruned') await queue.pruneTrial(lease, told.reason ?? 'told pruned', Object.keys(summary).length ? summary : undefined);
    else await queue.failTrial(lease, told.reason ?? 'told failed', 'external');
  } catch (err) {
    if (err instanceof LeaseLostError) {
      await queue.requeueExpiredLeases();
      throw new SweepStateError('trial', `trial ${trialId}'s reservation expired at ${trial.leaseExpiresAt.toISOString()}; nothing stored (ask again)`);
    }
    throw err;
  }
  const after = await db.sweep.findUniqueOrThrow({ where: { id: sweepId }, select: { status: true } });
  return { sweepId, trialId, index: trial.index, status: told.status, values: objectives.map((_, i) => values[i] ?? null), sweepStatus: after.status };
}

type CheckedTell = { status: 'completed' | 'failed' | 'pruned'; values?: number[]; field: string; reason?: string };

/** The tell input's own rules, before the database is asked anything. */
function checkTell(input: TellInput): CheckedTell {
  if (input === null || typeof input !== 'object') throw new InvalidFieldError('body', 'must be an object with value, values, failed or pruned');
  for (const flag of ['failed', 'pruned'] as const) {
    if (input[flag] !== undefined && typeof input[flag] !== 'boolean') throw new InvalidFieldError(flag, `must be true or false (got ${JSON.stringify(input[flag])})`);
  }
  if (input.reason !== undefined && (typeof input.reason !== 'string' || input.reason.length > 2000)) {
    throw new InvalidFieldError('reason', 'must be a text of at most 2000 characters');
  }
  const reason = input.reason as string | undefined;
  const given = [input.value !== undefined && 'value', input.values !== undefined && 'values', input.failed === true && 'failed'].filter(Boolean);
  if (input.failed && input.pruned) throw new InvalidFieldError('failed', 'a trial is failed or pruned, not both');
  if (given.length > 1) throw new InvalidFieldError(String(given[1]), `give one of value, values and failed (got ${given.join(' and ')})`);
  if (input.failed) return { status: 'failed', field: 'failed', reason };
  const status = input.pruned ? 'pruned' : 'completed';
  if (input.value !== undefined) return { status, values: [toNumber('value', input.value)], field: 'value', reason };
  if (input.values !== undefined) {
    const list = typeof input.values === 'string' ? input.values.split(',') : input.values;
    if (!Array.isArray(list) || list.length === 0) throw new InvalidFieldError('values', 'must be a list of numbers, one per objective (e.g. 0.91,1200)');
    return { status, values: list.map((v, i) => toNumber(`values[${i}]`, v)), field: 'values', reason };
  }
  if (input.pruned) return { status, field: 'pruned', reason };
  throw new InvalidFieldError('value', 'required: the trial\'s objective value (or values for several objectives, or failed)');
}

function toNumber(field: string, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v.trim()) : NaN;
  if (!Number.isFinite(n)) throw new InvalidFieldError(field, `must be a number (got ${JSON.stringify(v)})`);
  return n;
}

type ExternalSweep = Sweep & { dataset: { taskKind: string } | null };

async function externalSweep(db: Db, sweepId: string): Promise<ExternalSweep> {
  const sweep = await db.sweep.findUnique({ where: { id: sweepId }, include: { dataset: { select: { taskKind: true } } } });
  if (!sweep) throw new NotFoundError('sweep', sweepId);
  if (!sweep.external) {
    throw new SweepStateError('sweep', `sweep ${sweepId} is trained by workers; only an external sweep (peft-lab sweep create --external) is asked and told`);
  }
  return sweep;
}

function askedTrial(t: Trial, sweep: ExternalSweep): AskedTrial {
  const hp = t.hyperparameters as Record<string, unknown>;
  const hyperparameters = Object.fromEntries(Object.entries(hp).filter(([k]) => !TRIAL_BOOKKEEPING_KEYS.includes(k)));
  return {
    sweepId: t.sweepId,
    trialId: t.id,
    index: t.index,
    method: t.method,
    ...(typeof hp.label === 'string' ? { label: hp.label } : {}),
    hyperparameters,
    training: { ...(hp.training as Record<string, unknown>) },
    seed: t.seed,
    configKey: String(hp.configKey),
    objectives: sweepObjectives(sweep.spec, objectiveTaskOfSweep(sweep)).map((o) => ({ metric: o.metric, direction: o.direction })),
    reservedUntil: t.leaseExpiresAt!,
  };
}
