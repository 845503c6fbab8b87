// The worker loop: register → claim → run → repeat, `concurrency` slots at once,
// with lease requeueing, worker heartbeats, graceful signals and reconnection.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { computeBackendLabel, selectBackend, type BackendInfo, type BackendPreference } from '@peft-lab/engine';
import { TrialQueue, type Db } from '@peft-lab/db';
import { pretrainCorpus } from '@peft-lab/data';
import pg from 'pg';
import type { Logger } from 'pino';
import { Backoff, isConnectionError, sleep, untilConnected } from './backoff.js';
import { createLogger } from './logger.js';
import { ProgressBoard, type ProgressMode } from './progress.js';
import { runTrial, type TrialOutcome } from './run-trial.js';

export interface RunWorkerOptions {
  db: Db;
  /** Default `<host>:<pid>:<random>`. */
  workerId?: string;
  /** Trials run at once in this process; default 1 (tfjs shares one backend: more helps only when trials wait on I/O). */
  concurrency?: number;
  /** TensorFlow.js backend preference; default auto (PEFT_LAB_BACKEND, then native > wasm > cpu). */
  backend?: BackendPreference;
  /** Exit once nothing is claimable and no trial of this worker is running (drain the queue). */
  once?: boolean;
  /** Lease length; heartbeats every leaseMs/3. Default 30 s. */
  leaseMs?: number;
  /** Steps between checkpoints; default: at each evaluation (the sweep's evalEvery). */
  checkpointEvery?: number;
  log?: Logger;
  /** Progress output; default: a redrawn block on a TTY, plain lines otherwise. */
  progress?: ProgressMode | ProgressBoard;
  /** Idle poll interval when the queue is empty; default 1 s. */
  pollMs?: number;
  /** SIGTERM/SIGINT → checkpoint, release leases, return. Default true. */
  handleSignals?: boolean;
  /** Aborting does what SIGTERM does (tests, `sweep run`). */
  signal?: AbortSignal;
  /** Checked when idle: true ends the loop (e.g. "my sweep is finished"). */
  stopWhen?: () => boolean | Promise<boolean>;
  /** Skip the latency measurement after training (faster tests). */
  measureLatency?: boolean;
  metricFlushMs?: number;
}

export interface WorkerRunSummary {
  workerId: string;
  backend: BackendInfo;
  outcomes: Record<TrialOutcome, number>;
  /** True when the loop ended for a signal / abort. */
  interrupted: boolean;
}

/**
 * Runs trials from the queue until stopped (signal, abort, `once` with an empty queue,
 * or `stopWhen`). A trial interrupted by a signal is checkpointed and released, so
 * another worker resumes it at once without waiting for the lease to expire.
 * @example
 * const db = connectDb();
 * await runWorker({ db, concurrency: 1, leaseMs: 30_000, once: true });
 */
export async function runWorker(o: RunWorkerOptions): Promise<WorkerRunSummary> {
  const log = o.log ?? createLogger();
  const queue = new TrialQueue(o.db);
  const workerId = o.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const leaseMs = o.leaseMs ?? 30_000;
  const concurrency = Math.max(1, o.concurrency ?? 1);
  const pollMs = o.pollMs ?? 1_000;
  const progress = o.progress instanceof ProgressBoard ? o.progress
    : o.progress ? new ProgressBoard(o.progress) : ProgressBoard.auto();
  const shutdown = { requested: false };
  const outcomes: Record<TrialOutcome, number> = { completed: 0, failed: 0, pruned: 0, cancelled: 0, released: 0, lost: 0 };

  // A query caught in a server restart can otherwise wait forever (seen in the chaos test:
  // a hung heartbeat let the lease lapse). Client-side limits turn that into an error the
  // retry paths handle. Process-wide pg defaults: the worker process owns its pools.
  const pgDefaults = pg.defaults as unknown as { query_timeout?: number | false };
  if (!pgDefaults.query_timeout) pgDefaults.query_timeout = 60_000;

  const backend = await selectBackend({ prefer: o.backend, log: (line) => log.warn(line) });
  log.info({ workerId, backend: computeBackendLabel(), concurrency, leaseMs }, 'worker starting');
  // The forgetting sample (run-trial.ts) is cut from the pretraining corpus, read once per
  // process: seconds of synchronous CPU that, inside a trial, would stall its lease heartbeat.
  pretrainCorpus();

  const requestStop = (why: string) => {
    if (shutdown.requested) return;
    shutdown.requested = true;
    log.info({ why }, 'stopping: checkpointing and releasing running trials');
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (shutdown.requested) {
      log.warn({ sig }, 'second signal: exiting now');
      process.exit(130);
    }
    requestStop(sig);
  };
  if (o.handleSignals ?? true) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  const onAbort = () => requestStop('aborted');
  o.signal?.addEventListener('abort', onAbort);
  if (o.signal?.aborted) requestStop('aborted');

  const register = () => queue.registerWorker({ id: workerId, host: hostname(), pid: process.pid, backend: computeBackendLabel() });
  await untilConnected(log, 'register worker', register, { shutdown });

  // Any worker may return expired leases to the queue; doing it from every worker means
  // a sweep recovers as long as one worker lives. Half a lease keeps recovery prompt.
  const background = setInterval(() => {
    queue.requeueExpiredLeases().then((r) => {
      if (r.requeued.length || r.failed.length || r.cancelled.length) log.info(r, 'requeued expired leases');
    }).catch((err) => log.debug({ err: (err as Error).message }, 'requeue skipped'));
    queue.workerHeartbeat(workerId).catch((err) => {
      if ((err as Error).name === 'NotFoundError') register().catch(() => {});
    });
  }, Math.max(200, Math.floor(leaseMs / 2)));
  background.unref();

  let running = 0;
  const slot = async (n: number) => {
    const backoff = new Backoff();
    while (!shutdown.requested) {
      let lease;
      try {
        lease = await queue.claimNextTrial(workerId, leaseMs);
        if (backoff.failures > 0) log.info({ slot: n }, 'database reachable again');
        backoff.reset();
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        const ms = backoff.next();
        log.warn({ slot: n, err: (err as Error).message, retryInMs: ms }, 'claim failed: database unreachable, backing off');
        await sleep(ms);
        continue;
      }
      if (!lease) {
        if (o.once && running === 0) {
          // Before calling the queue drained, return expired leases (a dead worker's trials) to it.
          const r = await queue.requeueExpiredLeases().catch(() => null);
          if (!r?.requeued.length) return;
          continue;
        }
        if (o.stopWhen && (await Promise.resolve(o.stopWhen()).catch(() => false))) return;
        await sleep(pollMs);
        continue;
      }
      running++;
      log.info({ trialId: lease.trialId, index: lease.trial.index, method: lease.trial.method, attempt: lease.trial.attempt, resumeStep: lease.trial.lastCheckpointStep }, 'claimed trial');
      try {
        const outcome = await runTrial({
          db: o.db, queue, lease, backend, log, progress, checkpointEvery: o.checkpointEvery, shutdown,
          measureLatency: o.measureLatency, metricFlushMs: o.metricFlushMs,
        });
        outcomes[outcome]++;
        progress.finish(lease.trialId, outcome);
      } catch (err) {
        // Unexpected (not a trial failure the runner recorded): keep the worker alive; the lease lapses.
        outcomes.lost++;
        log.error({ trialId: lease.trialId, err: (err as Error).message, stack: (err as Error).stack }, 'trial runner crashed; its lease will expire');
        progress.finish(lease.trialId, 'error');
      } finally {
        running--;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, (_, i) => slot(i)));
  } finally {
    clearInterval(background);
    progress.close();
    o.signal?.removeEventListener('abort', onAbort);
    if (o.handleSignals ?? true) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  }
  log.info({ workerId, outcomes, interrupted: shutdown.requested }, 'worker stopped');
  return { workerId, backend, outcomes, interrupted: shutdown.requested };
}

