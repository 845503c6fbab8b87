import type { Command } from 'commander';
import { CliInputError } from '../errors.js';
import { positiveInt } from '../paths.js';

const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'];

export function register(program: Command): void {
  program
    .command('worker')
    .description('claim and run queued trials (applies migrations first); SIGTERM/SIGINT checkpoint and release running trials')
    .option('--concurrency <n>', 'trials run at once in this process', '1')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu (default: PEFT_LAB_BACKEND, else auto)')
    .option('--once', 'exit when no trial is claimable (drain the queue)')
    .option('--lease-ms <ms>', 'lease length; heartbeats every lease/3', '30000')
    .option('--checkpoint-every <steps>', 'steps between checkpoints (default: at each evaluation)')
    .option('--worker-id <id>', 'this worker\'s id (default host:pid:random)')
    .option('--log-file <path>', 'structured JSON logs to this file (default stderr; or PEFT_LAB_LOG_FILE)')
    .option('--no-progress', 'no progress lines on stdout')
    .option('--data-dir <dir>', 'PEFT Lab home for the embedded PostgreSQL when DATABASE_URL is unset (default PEFT_LAB_HOME or .peft-lab)')
    .action(async (o) => {
      if (o.backend !== undefined && !BACKENDS.includes(o.backend)) throw new CliInputError('--backend', o.backend, `must be one of ${BACKENDS.join(', ')}`);
      const opts = {
        concurrency: positiveInt('--concurrency', o.concurrency, 1),
        leaseMs: positiveInt('--lease-ms', o.leaseMs, 30_000),
        checkpointEvery: o.checkpointEvery === undefined ? undefined : positiveInt('--checkpoint-every', o.checkpointEvery, 1),
      };
      // Loaded here, not at start-up: `peft-lab --help` should not wait for TensorFlow.js.
      const { createLogger, runWorker, untilConnected } = await import('@peft-lab/worker');
      const { applyMigrations } = await import('@peft-lab/db');
      const { openDatabase } = await import('../database.js');
      const log = createLogger({ file: o.logFile });
      const session = await openDatabase({ dataDir: o.dataDir, migrate: false });
      // A worker started while PostgreSQL restarts waits for it instead of exiting.
      const stop = { requested: false };
      const onSignal = () => { stop.requested = true; };
      process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
      await untilConnected(log, 'apply migrations', () => applyMigrations(session.url), { shutdown: stop });
      process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
      if (stop.requested) { await session.close(); return; }
      try {
        const summary = await runWorker({
          db: session.db, workerId: o.workerId, backend: o.backend, once: Boolean(o.once), log,
          progress: o.progress === false ? 'off' : undefined, ...opts,
        });
        const n = summary.outcomes;
        process.stderr.write(`worker ${summary.workerId} (${summary.backend.name}) stopped: ${n.completed} completed, ${n.failed} failed, ${n.pruned} pruned, ${n.cancelled} cancelled, ${n.released} released, ${n.lost} lost\n`);
      } finally {
        await session.close();
      }
    });
}
