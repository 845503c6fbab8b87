import type { Logger } from 'pino';
import { RefusedRequestError } from './errors.js';
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

// The server answered with an error: its SQLSTATE says whether that is about the connection.
// Class 08 (connection exception), 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
// connect now (starting up / shutting down). Anything else (a value over the 1 GB limit,
// out of memory, a constraint) is a refused request, whatever its message says.
const CONNECTION_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123])$/;
// No answer from the server: the socket failed.
const SOCKET_CODES = /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/;
// Prisma's codes for the same: P1001 cannot reach the server, P1002 timed out, P1008 socket
// timeout, P1017 the server closed the connection; and the pg adapter's error kinds.
const PRISMA_CONNECTION_CODES = /^P10(01|02|08|17)$/;
const ADAPTER_CONNECTION_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout']);
const CONNECTION_MESSAGE = /Connection terminated|connection refused|ECONNREFUSED|ECONNRESET|the database system is (starting up|shutting down)|terminating connection|Client has encountered a connection error|Connection ended|timeout exceeded when trying to connect|socket hang up/i;

/** An error PostgreSQL sent (pg's DatabaseError, or the adapter's copy of one): a SQLSTATE and a severity. */
function isServerError(e: object): boolean {
  const { code, severity } = e as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string';
}

/**
 * True for errors that mean "the database is unreachable right now" (server restarting,
 * connection refused or reset), which a worker waits out instead of failing the trial.
 * An error the server sent is one only for a connection SQLSTATE: a refused write (too
 * large, out of memory, a constraint, …) is not an outage. (A dropped connection can still
 * be the server refusing one request, e.g. a message over PostgreSQL's 1 GB limit: untilConnected
 * with a `probe` tells the two apart.)
 */
export function isConnectionError(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    if (e instanceof RefusedRequestError) return false;
    const code = (e as { code?: unknown }).code;
    if (isServerError(e)) return CONNECTION_SQLSTATE.test(code as string);
    if (typeof code === 'string' && (SOCKET_CODES.test(code) || PRISMA_CONNECTION_CODES.test(code))) return true;
    const kind = (e as { kind?: unknown }).kind;
    if (typeof kind === 'string' && ADAPTER_CONNECTION_KINDS.has(kind)) return true;
    if (CONNECTION_MESSAGE.test(String((e as { message?: unknown }).message ?? ''))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Whether `probe` (e.g. `SELECT 1`) succeeds within `ms`. */
async function answers(probe: () => Promise<unknown>, ms = 5_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); });
  try {
    return await Promise.race([probe().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface UntilConnectedOptions {
  shutdown?: { requested: boolean };
  /** Rethrow the connection error once this long has passed. */
  giveUpMs?: number;
  /**
   * A query that succeeds when the database is reachable (e.g. `() => pool.query('SELECT 1')`).
   * With it, a connection dropped on `fn` while the probe succeeds is counted as the server
   * refusing this request; after `refusedAfter` such drops in a row it is thrown as a
   * RefusedRequestError instead of being waited out as an outage.
   */
  probe?: () => Promise<unknown>;
  /** Default 3. */
  refusedAfter?: number;
}

/**
 * Runs `fn` until it succeeds, waiting out connection errors with backoff (each logged as
 * a warning); other errors are thrown. Gives up with undefined once `shutdown.requested`,
 * and rethrows the connection error once `giveUpMs` have passed. See `probe` for a request
 * the server keeps dropping while it is up.
 */
export async function untilConnected<T>(log: Logger, what: string, fn: () => Promise<T>, opts: UntilConnectedOptions = {}): Promise<T | undefined> {
  const backoff = new Backoff();
  const t0 = Date.now();
  const refusedAfter = opts.refusedAfter ?? 3;
  let dropsWhileUp = 0;
  while (!opts.shutdown?.requested) {
    try {
      return await fn();
    } catch (err) {
      if (!isConnectionError(err) || (opts.giveUpMs !== undefined && Date.now() - t0 > opts.giveUpMs)) throw err;
      const ms = backoff.next();
      if (opts.probe && (await answers(opts.probe))) {
        dropsWhileUp += 1;
        if (dropsWhileUp >= refusedAfter) throw new RefusedRequestError(what, dropsWhileUp, err as Error);
        log.warn({ err: (err as Error).message, retryInMs: ms, dropsWhileUp }, `${what}: connection dropped although the database answers, retrying`);
      } else {
        dropsWhileUp = 0;
        log.warn({ err: (err as Error).message, retryInMs: ms }, `${what}: database unreachable, retrying`);
      }
      await sleep(ms);
    }
  }
  return undefined;
}
