// Prisma CLI configuration. The CLI runs offline with the JS (wasm) schema engine
// through the pg driver adapter; scripts/prisma-generate.mjs and packages/db set
// PRISMA_SCHEMA_ENGINE_BINARY / PRISMA_QUERY_ENGINE_LIBRARY so it downloads nothing.
// Discrete connection fields, not a connection string: with a connection string the
// adapter's shadow database points at the main one.
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

function connectionFields() {
  const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres');
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
  };
}

export default defineConfig({
  experimental: { adapter: true },
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  engine: 'js',
  adapter: async () => new PrismaPg(connectionFields()),
});
