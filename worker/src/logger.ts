import { pino, type Logger } from 'pino';
import { workerEnv } from './env.js';

export type { Logger };

/**
 * Structured JSON logs: to `file` when given (PEFT_LAB_LOG_FILE), else stderr, so
 * stdout stays free for the progress line. Level from PEFT_LAB_LOG_LEVEL (default info).
 */
export function createLogger(opts: { file?: string; level?: string; name?: string } = {}): Logger {
  const env = workerEnv();
  const file = opts.file ?? env.PEFT_LAB_LOG_FILE;
  const level = opts.level ?? env.PEFT_LAB_LOG_LEVEL ?? 'info';
  const dest = file ? pino.destination({ dest: file, mkdir: true, sync: true }) : pino.destination({ fd: 2, sync: true });
  return pino({ name: opts.name ?? 'peft-lab-worker', level }, dest);
}

/** A logger that drops everything (tests that do not care). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
