// Errors thrown by @peft-lab/db. Messages name the argument or row and the bad value.

import { PeftLabError } from '@peft-lab/errors';

export { PeftLabError };

/** The worker's lease on a trial is gone (expired, requeued, released, or taken by another claim). */
export class LeaseLostError extends PeftLabError {
  constructor(readonly trialId: string, readonly workerId: string, detail: string) {
    super('LEASE_LOST', `lease on trial ${trialId} held by worker ${workerId} is no longer current: ${detail}`);
  }
}

/** A write was attempted on a trial that already reached a final state (completed, failed, pruned, cancelled). */
export class TrialFinishedError extends PeftLabError {
  constructor(readonly trialId: string, readonly status: string) {
    super('TRIAL_FINISHED', `trial ${trialId} is already ${status}; finished trials cannot be updated`);
  }
}

/** A row looked up by id does not exist. */
export class NotFoundError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly entity: string, readonly id: string) {
    super('NOT_FOUND', `${entity} ${JSON.stringify(id)} not found`);
  }
}

/** An argument failed validation; `field` names it. */
export class InvalidArgumentError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly field: string, value: unknown, reason: string) {
    super('INVALID_ARGUMENT', `${field} = ${safeJson(value)}: ${reason}`);
  }
}

/**
 * Stored content (a checkpoint, artifact file or dataset) failed its check on read: a chunk is
 * missing or the bytes do not hash to the recorded sha256. `what` names the checkpoint/artifact.
 */
export class BlobIntegrityError extends PeftLabError {
  constructor(readonly what: string, detail: string) {
    super('BLOB_INTEGRITY', `${what}: ${detail}`);
  }
}

/** Starting, initialising or migrating the database failed. */
export class DatabaseSetupError extends PeftLabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DATABASE_SETUP', message, options);
  }
}

/**
 * A sweep names a base model or task that cannot be used: unknown, or (base model) not
 * loadable. `message` is one `field: rule` line (`task: unknown task "x" (built-in: …)`),
 * also in `lines`, like a spec error's.
 */
export class SweepResourceError extends PeftLabError {
  readonly badInput = true;
  readonly lines: string[];
  constructor(readonly field: 'baseModel' | 'task', detail: string) {
    super('SWEEP_RESOURCE', `${field}: ${detail}`);
    this.lines = [this.message];
  }
}

/**
 * A registered base model's directory is not on this machine's filesystem: registered on
 * another host, or moved. The message names the model, the path, this host and the one it
 * was registered on.
 */
export class BaseModelUnavailableError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly model: string, readonly path: string, readonly host: string, readonly registeredHost: string | null) {
    super('BASE_MODEL_UNAVAILABLE', `base model ${JSON.stringify(model)}: ${path} does not exist on host ${host}${registeredHost ? ` (registered on ${registeredHost})` : ''}`);
  }
}

/**
 * One request field is wrong: the message is one `field: rule` line (`maxTrials: must be
 * greater than the 6 trials the sweep has (got 6)`, `value: must be a number`), also in `lines`.
 */
export class InvalidFieldError extends PeftLabError {
  readonly badInput = true;
  readonly lines: string[];
  constructor(readonly field: string, detail: string) {
    super('INVALID_FIELD', `${field}: ${detail}`);
    this.lines = [this.message];
  }
}

/**
 * The sweep or trial is not in a state that allows the request (resume a running sweep, ask
 * a sweep whose budget is spent, tell a trial twice). One `field: rule` line, as InvalidFieldError. → 409
 */
export class SweepStateError extends PeftLabError {
  readonly badInput = true;
  readonly lines: string[];
  constructor(readonly field: string, detail: string) {
    super('SWEEP_STATE', `${field}: ${detail}`);
    this.lines = [this.message];
  }
}

function safeJson(value: unknown): string {
  try {
    const s = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    return s === undefined ? String(value) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return String(value);
  }
}
