import { defineConfig } from 'vitest/config';

// Cross-package tests start real PostgreSQL servers, workers and Chromium:
// run files one at a time so they do not fight over the two cores.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/chaos*.test.ts', '**/*.slow.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    passWithNoTests: true,
  },
});
