// Applies prisma/migrations/*/migration.sql in name order, each in its own
// transaction, recording them in a `_prisma_migrations` table of Prisma's layout
// (checksum = sha256 of the file), so `prisma migrate deploy` / `migrate status`
// agree with what ran here. Done in-process rather than by spawning the CLI: no
// wasm engine start-up (~2 s), and it behaves the same against an external
// DATABASE_URL. Concurrent callers serialise on Prisma's own advisory lock key.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { resolveConnection, type ConnectionFields } from './connection';
import { DatabaseSetupError } from './errors';

/** The repository's prisma/migrations folder. */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'prisma', 'migrations');

// The key `prisma migrate` locks, so this and the CLI never migrate at once.
const PRISMA_MIGRATE_LOCK = 72707369;

export interface MigrationResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations that were already recorded as applied. */
  skipped: string[];
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  if (!existsSync(dir)) throw new DatabaseSetupError(`migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Brings the database to the latest schema. Idempotent: applied migrations are
 * skipped; an edited applied migration (checksum mismatch) or one left half-applied
 * by a failed `prisma migrate deploy` is refused with DatabaseSetupError.
 * @param conn connection fields or URL; default DATABASE_URL.
 */
export async function applyMigrations(conn?: ConnectionFields | string, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const migrations = readMigrations(dir);
  const client = new pg.Client(resolveConnection(conn));
  await client.connect();
  const result: MigrationResult = { applied: [], skipped: [] };
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
    );
    const recorded = new Map(rows.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r]));
    for (const m of migrations) {
      const row = recorded.get(m.name);
      if (row?.finished_at) {
        if (row.checksum !== m.checksum) {
          throw new DatabaseSetupError(`migration ${m.name} was edited after it was applied (checksum ${row.checksum} in the database, ${m.checksum} on disk); write a new migration instead`);
        }
        result.skipped.push(m.name);
        continue;
      }
      if (row) {
        throw new DatabaseSetupError(`migration ${m.name} is recorded as started but not finished (a failed deploy); resolve it with \`prisma migrate resolve\` first`);
      }
      try {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
           VALUES ($1, $2, now(), $3, now(), 1)`,
          [randomUUID(), m.checksum, m.name],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new DatabaseSetupError(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      result.applied.push(m.name);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK]).catch(() => {});
    await client.end();
  }
}
