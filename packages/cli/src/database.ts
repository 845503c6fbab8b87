// The database a command talks to: DATABASE_URL when set, else the embedded PostgreSQL
// under <home>/pg (started here, or shared when `peft-lab up` already runs it).
import { join } from 'node:path';
import { applyMigrations, connectDb, startEmbeddedPostgres, type Db, type EmbeddedPostgresHandle } from '@peft-lab/db';
import { workerEnv } from '@peft-lab/worker/env';
import { peftLabHome } from './paths.js';

export interface DatabaseSession {
  db: Db;
  url: string;
  /** The embedded server when this process started it (null: external or shared). */
  server: EmbeddedPostgresHandle | null;
  close(): Promise<void>;
}

export async function openDatabase(opts: { dataDir?: string; migrate?: boolean; poolSize?: number } = {}): Promise<DatabaseSession> {
  let url = workerEnv().DATABASE_URL;
  let server: EmbeddedPostgresHandle | null = null;
  if (!url) {
    server = await startEmbeddedPostgres({ dataDir: join(peftLabHome(opts.dataDir), 'pg') });
    url = server.url;
    if (!server.owned) server = null;
  }
  try {
    if (opts.migrate ?? true) await applyMigrations(url);
  } catch (err) {
    await server?.stop();
    throw err;
  }
  const db = connectDb({ connection: url, shared: false, poolSize: opts.poolSize ?? 8 });
  let closed: Promise<void> | undefined;
  return {
    db, url, server,
    close: () => (closed ??= (async () => {
      await db.$disconnect().catch(() => {});
      await server?.stop();
    })()),
  };
}

/** Runs `fn` with a database session and always closes it. */
export async function withDatabase<T>(opts: { dataDir?: string }, fn: (s: DatabaseSession) => Promise<T>): Promise<T> {
  const s = await openDatabase(opts);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}
