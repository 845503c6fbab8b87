import { defineConfig } from 'vitest/config';

// Real PostgreSQL: initdb takes seconds on a busy 2-core machine; one file at a time
// keeps the servers from competing for the cores.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
