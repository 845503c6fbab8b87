import type { Logger } from 'pino';
/** Exponential backoff with jitter for reconnecting to PostgreSQL: 250 ms, 500 ms, … capped at maxMs. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly baseMs = 250, private readonly maxMs = 5_000) {}

  /** The next delay (and counts the attempt). */
  next(): number {
    const ms = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt += 1;
    // ±20 % jitter so workers that lost the server together do not hammer it together.
    return Math.round(ms * (0.8 + Math.random() * 0.4));
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * True for errors that mean "the database is unreachable right now" (server restarting,
 * connection refused or reset), which a worker waits out instead of failing the trial.
 */
export function isConnectionError(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    const msg = String((e as { message?: unknown }).message ?? '');
    if (typeof code === 'string' && (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|57P01|57P02|57P03|08000|08003|08006|08001|08004)$/.test(code))) return true;
    if (/Connection terminated|connection refused|ECONNREFUSED|ECONNRESET|the database system is (starting up|shutting down)|terminating connection|Client has encountered a connection error|Connection ended|timeout exceeded when trying to connect|socket hang up/i.test(msg)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs `fn` until it succeeds, waiting out connection errors with backoff (each logged as
 * a warning); other errors are thrown. Gives up with undefined once `shutdown.requested`,
 * and rethrows the connection error once `giveUpMs` have passed.
 */
export async function untilConnected<T>(
  log: Logger, what: string, fn: () => Promise<T>,
  opts: { shutdown?: { requested: boolean }; giveUpMs?: number } = {},
): Promise<T | undefined> {
  const backoff = new Backoff();
  const t0 = Date.now();
  while (!opts.shutdown?.requested) {
    try {
      return await fn();
    } catch (err) {
      if (!isConnectionError(err) || (opts.giveUpMs !== undefined && Date.now() - t0 > opts.giveUpMs)) throw err;
      const ms = backoff.next();
      log.warn({ err: (err as Error).message, retryInMs: ms }, `${what}: database unreachable, retrying`);
      await sleep(ms);
    }
  }
  return undefined;
}
