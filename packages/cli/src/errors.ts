// Errors thrown by the CLI itself. Bad input exits 2 (see exit-codes.ts), anything else 1.

import { PeftLabError } from '@peft-lab/errors';

export { PeftLabError };

/** A command-line argument or file is wrong; the message names it and the bad value. */
export class CliInputError extends PeftLabError {
  readonly badInput = true;
  constructor(field: string, value: unknown, reason: string) {
    super('CLI_INPUT', `${field} ${JSON.stringify(value)}: ${reason}`);
  }
}

/** A child process (PostgreSQL, Next.js, a worker) failed to start or died. */
export class ProcessError extends PeftLabError {
  constructor(message: string) {
    super('PROCESS', message);
  }
}
