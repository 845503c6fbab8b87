// The environment of a worker / CLI process (`peft-lab …`, its `worker` and `up`), parsed once
// with zod and kept until a value changes; the worker library and the CLI read it here and
// nowhere else. Libraries they load read their own knobs in one module each (@peft-lab/db
// src/env.ts: the connection defaults and blob chunk size; @peft-lab/engine src/env.ts).
// Imported by the CLI as `@peft-lab/worker/env`: it loads nothing heavy.
import { z } from 'zod';
import { envReader, optionalVar as optional } from '@peft-lab/env';
import { PeftLabError } from '@peft-lab/errors';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const workerEnvSchema = z.object({
  /** PostgreSQL to use; unset: the embedded server under the PEFT Lab home. */
  DATABASE_URL: optional,
  /** Where `up` and the commands keep state (default <repo>/.peft-lab). */
  PEFT_LAB_HOME: optional,
  /** pino level of the worker's JSON logs. */
  PEFT_LAB_LOG_LEVEL: optional.pipe(z.enum(LOG_LEVELS).optional()),
  /** The worker's JSON logs go to this file instead of stderr. */
  PEFT_LAB_LOG_FILE: optional,
  /** `peft-lab serve`: every call needs `Authorization: Bearer <token>` (the dashboard's token, app/lib/auth.ts, is the same variable). */
  PEFT_LAB_TOKEN: optional,
});

export type WorkerEnv = z.output<typeof workerEnvSchema>;
/** A variable of the environment holds a value the process cannot use; one `NAME: rule` line each. */
export class EnvironmentError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly lines: string[]) {
    super('ENV_INVALID', lines.join('\n'));
  }
}

/**
 * The worker / CLI environment.
 * @throws EnvironmentError naming each bad variable (`PEFT_LAB_LOG_LEVEL: must be one of fatal, …`)
 */
export const workerEnv: (source?: NodeJS.ProcessEnv) => WorkerEnv = envReader(workerEnvSchema, (error, values) =>
  new EnvironmentError(error.issues.map((i) => `${String(i.path[0])}: ${i.code === 'invalid_value' ? `must be one of ${LOG_LEVELS.join(', ')}` : i.message} (got ${JSON.stringify(values[String(i.path[0])])})`)),
);

/** The environment a child process of this one gets: this one's, plus `extra` (`up` starts the dashboard and a worker). */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

