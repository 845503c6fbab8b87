// `@peft-lab/db/testing`: a real, migrated, throwaway PostgreSQL for tests.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDb, type Db } from './client';
import type { ConnectionFields } from './connection';
import { startEmbeddedPostgres } from './embedded-postgres';
import { applyMigrations } from './migrate';

export interface TestDatabase {
  url: string;
  connection: ConnectionFields;
  /** A PrismaClient of its own (not the process-wide shared one). */
  db: Db;
  /** Disconnects, stops the server and deletes its data dir. Idempotent. */
  cleanup(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL on a random port in a fresh temp dir and migrates it.
 * Start one per test file (beforeAll) — initdb takes seconds.
 * @example
 * let t: TestDatabase;
 * beforeAll(async () => { t = await createTestDatabase(); }, 60_000);
 * afterAll(() => t.cleanup());
 */
export async function createTestDatabase(opts: { poolSize?: number; settings?: Record<string, string | number> } = {}): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'peft-lab-pg-'));
  // mkdtemp makes 0700 dirs; as root the server runs as `postgres`, which must get through.
  chmodSync(dir, 0o711);
  const server = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), settings: opts.settings });
  try {
    await applyMigrations(server);
  } catch (err) {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const connection: ConnectionFields = { host: server.host, port: server.port, user: server.user, password: server.password, database: server.database };
  const db = connectDb({ connection, shared: false, poolSize: opts.poolSize ?? 8 });
  let done: Promise<void> | undefined;
  return {
    url: server.url,
    connection,
    db,
    cleanup: () => (done ??= (async () => {
      await db.$disconnect().catch(() => {});
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    })()),
  };
}
