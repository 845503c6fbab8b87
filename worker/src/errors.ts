// Errors thrown by @peft-lab/worker. Messages name the field and the bad value.

import { PeftLabError } from '@peft-lab/errors';

export { PeftLabError };

/** A trial cannot be prepared: its base model or task cannot be found or loaded. */
export class TrialSetupError extends PeftLabError {
  /** Bad input (unknown model/task, bad hyperparameter) rather than a machine fault. */
  readonly badInput = true;
  constructor(readonly field: string, value: unknown, reason: string, options?: { cause?: unknown }) {
    super('TRIAL_SETUP', `${field} = ${JSON.stringify(value)}: ${reason}`, options);
  }
}

/**
 * The database dropped the connection on one request again and again while it answered
 * other queries: the server refused that request (e.g. a message over PostgreSQL's 1 GB
 * limit, which it answers by closing the connection: `read ECONNRESET`). Not an outage, so
 * not waited out: the trial fails with it. `cause` is the last connection error.
 */
export class RefusedRequestError extends PeftLabError {
  constructor(readonly what: string, readonly attempts: number, cause: Error) {
    super('DB_REQUEST_REFUSED', `${what}: the database dropped the connection on this request ${attempts} times while answering other queries (${cause.message}); the server refuses the request itself (e.g. a value over PostgreSQL's 1 GB limit), not retrying`, { cause });
  }
}

/** `peft-lab model add` refused: a bad name, or the name is registered for another directory. */
export class BaseModelRegistrationError extends PeftLabError {
  readonly badInput = true;
  constructor(message: string) {
    super('BASE_MODEL_REGISTRATION', message);
  }
}
