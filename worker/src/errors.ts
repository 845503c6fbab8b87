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
