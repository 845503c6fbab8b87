// Errors thrown by the CLI itself. Bad input exits 2 (see exit-codes.ts), anything else 1.

import { PeftLabError } from '@peft-lab/errors';

export { PeftLabError };

/** A command-line argument or file is wrong; the message names it and the bad value. */
export class CliInputError extends PeftLabError {
  readonly badInput = true;
  /** `value` undefined: the argument was not given (`--text-column: …`). */
  constructor(field: string, value: unknown, reason: string) {
    super('CLI_INPUT', value === undefined ? `${field}: ${reason}` : `${field} ${JSON.stringify(value)}: ${reason}`);
  }
}

/** Input that failed a schema: one `path: rule` line per problem (in `lines` and the message). */
export class CliValidationError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly lines: string[]) {
    super('CLI_VALIDATION', lines.join('\n'));
  }
}

/** A child process (PostgreSQL, Next.js, a worker) failed to start or died. */
export class ProcessError extends PeftLabError {
  constructor(message: string) {
    super('PROCESS', message);
  }
}

/** `sweep run` ran a sweep to its end and it failed: no trial completed. Exit 1. */
export class SweepFailedError extends PeftLabError {
  constructor(readonly sweepId: string, counts: { failed: number; pruned: number; cancelled: number; total: number }) {
    super('SWEEP_FAILED', `sweep ${sweepId} failed: none of its ${counts.total} trials completed (${counts.failed} failed, ${counts.pruned} pruned, ${counts.cancelled} cancelled); \`peft-lab sweep status ${sweepId}\` shows each trial's error`);
  }
}
