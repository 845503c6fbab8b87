import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';
import { applyMigrations, readMigrations } from './migrate';

let dir: string;
let server: EmbeddedPostgresHandle;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peft-lab-pg-'));
  chmodSync(dir, 0o711);
  server = await startEmbeddedPostgres({ dataDir: join(dir, 'data') });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('applyMigrations', () => {
  it('applies every migration once; applying again (even concurrently) is a no-op', async () => {
    const names = readMigrations().map((m) => m.name);
    expect(names.length).toBeGreaterThan(0);
    expect(await applyMigrations(server.url)).toEqual({ applied: names, skipped: [] });
    const again = await Promise.all([applyMigrations(server), applyMigrations(server.url)]);
    for (const r of again) expect(r).toEqual({ applied: [], skipped: names });
    const c = new pg.Client(server);
    await c.connect();
    const rows = (await c.query('SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"')).rows;
    await c.end();
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    expect(rows[0].checksum).toBe(readMigrations()[0].checksum);
  });

  it('refuses an applied migration whose file changed', async () => {
    const c = new pg.Client(server);
    await c.connect();
    await c.query(`UPDATE "_prisma_migrations" SET checksum = 'x'`);
    await expect(applyMigrations(server)).rejects.toThrow(/was edited after it was applied/);
    await c.query(`UPDATE "_prisma_migrations" SET checksum = $1`, [readMigrations()[0].checksum]);
    await c.end();
  });
});

describe('startEmbeddedPostgres', () => {
  it('reuses an initialised data dir and shares a server another handle already runs', async () => {
    const shared = await startEmbeddedPostgres({ dataDir: join(dir, 'data') });
    expect(shared.owned).toBe(false);
    expect(shared.port).toBe(server.port);
    await server.stop();
    server = await startEmbeddedPostgres({ dataDir: join(dir, 'data') });
    expect(server.owned).toBe(true);
    const c = new pg.Client(server);
    await c.connect();
    const { rows } = await c.query('SELECT count(*)::int AS n FROM "_prisma_migrations"');
    await c.end();
    expect(rows[0].n).toBe(readMigrations().length);
  });
});
