// `peft-lab up` (= `npm start`): PostgreSQL + migrations + the dashboard + one worker,
// and Ctrl-C stops every one of them. Children run in their own process groups so a
// shutdown can take down each whole tree (tsx and next start spawn children of their own).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { EmbeddedPostgresHandle } from '@peft-lab/db';
import { childEnv, workerEnv } from '@peft-lab/worker/env';
import { APP_DIR, appBuildIsStale } from '../app-build.js';
import { ProcessError } from '../errors.js';
import { CLI_MAIN, peftLabHome, positiveInt, REPO_ROOT, TSX_BIN } from '../paths.js';

const NEXT_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'next');

export function register(program: Command): void {
  program
    .command('up')
    .description('start PostgreSQL (embedded unless DATABASE_URL is set), the dashboard and a local worker; Ctrl-C stops them all')
    .option('--port <n>', 'dashboard port', '3000')
    .option('--host <host>', 'dashboard host', '127.0.0.1')
    .option('--data-dir <dir>', 'PEFT Lab home: embedded PostgreSQL data under <dir>/pg (default PEFT_LAB_HOME or .peft-lab)')
    .option('--no-worker', 'do not start the local worker')
    .option('--rebuild', 'build the dashboard even if a build exists')
    .action(async (o) => {
      const port = positiveInt('--port', o.port, 3000);
      const home = peftLabHome(o.dataDir);
      const children = new Set<ChildProcess>();
      let server: EmbeddedPostgresHandle | null = null;
      let stopping: Promise<void> | null = null;

      const stopAll = (code: number) => (stopping ??= (async () => {
        console.log('\nstopping…');
        await Promise.all([...children].map((c) => stopChild(c)));
        if (server) {
          await server.stop().catch(() => {});
          console.log('PostgreSQL stopped');
        }
        process.exit(code);
      })());
      process.on('SIGINT', () => void stopAll(0));
      process.on('SIGTERM', () => void stopAll(0));

      try {
        const { applyMigrations, startEmbeddedPostgres } = await import('@peft-lab/db');
        let url = workerEnv().DATABASE_URL;
        if (!url) {
          server = await startEmbeddedPostgres({ dataDir: join(home, 'pg') });
          url = server.url;
          console.log(`PostgreSQL ${server.owned ? 'started' : 'already running'} on 127.0.0.1:${server.port} (data ${server.dataDir})`);
          if (!server.owned) server = null;
        }
        const migrated = await applyMigrations(url);
        console.log(`migrations: ${migrated.applied.length} applied, ${migrated.skipped.length} already applied`);
        const env = childEnv({ DATABASE_URL: url, PEFT_LAB_HOME: home });

        if (o.rebuild || appBuildIsStale()) {
          console.log('building the dashboard (no build yet, or the code changed since; a few minutes)…');
          // --webpack: Turbopack in Next 16 cannot resolve the workspaces' `./x.js` → `./x.ts`
          // imports (see app/README.md); the app's own `build` script uses the same flag.
          const code = await runToEnd(spawn(NEXT_BIN, ['build', '--webpack'], { cwd: APP_DIR, env: { ...env, NEXT_TELEMETRY_DISABLED: '1' }, stdio: 'inherit', detached: true }), children);
          if (code !== 0) throw new ProcessError(`next build failed (exit ${code})`);
        }

        const next = track(spawn(NEXT_BIN, ['start', '-H', o.host, '-p', String(port)], { cwd: APP_DIR, env: { ...env, NEXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'inherit', 'inherit'], detached: true }), children);
        next.on('exit', (code) => {
          if (stopping) return;
          console.error(`dashboard exited (${code}); stopping`);
          void stopAll(1);
        });

        if (o.worker !== false) startWorker(env, children, () => stopping !== null);

        const url0 = `http://${o.host}:${port}`;
        await waitForHttp(url0, 120_000);
        console.log(`\nPEFT Lab is running: ${url0}\nCtrl-C stops the dashboard, the worker and PostgreSQL.`);
      } catch (err) {
        console.error(`peft-lab up: ${(err as Error).message}`);
        await stopAll(1);
      }
      await new Promise(() => {}); // until a signal
    });
}

function track(c: ChildProcess, children: Set<ChildProcess>): ChildProcess {
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}

function runToEnd(c: ChildProcess, children: Set<ChildProcess>): Promise<number> {
  track(c, children);
  return new Promise((res) => c.on('exit', (code) => res(code ?? 1)));
}

/** One local worker; restarted (with a pause) if it dies, so a crash does not stall the queue. */
function startWorker(env: NodeJS.ProcessEnv, children: Set<ChildProcess>, stopping: () => boolean, restarts = 0): void {
  const w = track(spawn(TSX_BIN, [CLI_MAIN, 'worker', '--concurrency', '1', '--no-progress'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true }), children);
  console.log(`worker started (pid ${w.pid})`);
  w.on('exit', (code, signal) => {
    if (stopping()) return;
    console.error(`worker exited (${code ?? signal}); restarting`);
    setTimeout(() => startWorker(env, children, stopping, restarts + 1), Math.min(30_000, 1_000 * 2 ** restarts));
  });
}

/** SIGTERM to the child's process group, SIGKILL after 10 s. */
function stopChild(c: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (c.exitCode !== null || c.signalCode !== null || !c.pid) return res();
    const kill = (sig: NodeJS.Signals) => { try { process.kill(-c.pid!, sig); } catch { /* gone */ } };
    const timer = setTimeout(() => kill('SIGKILL'), 10_000);
    c.once('exit', () => { clearTimeout(timer); res(); });
    kill('SIGTERM');
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await r.arrayBuffer();
      return;
    } catch {
      if (Date.now() - t0 > timeoutMs) throw new ProcessError(`the dashboard did not answer at ${url} within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
