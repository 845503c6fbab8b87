import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run test:chaos`: the chaos test alone (the default config excludes it from
// `test:integration`, so it is run exactly once in `npm test`).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['chaos*.test.ts'],
    fileParallelism: false,
    testTimeout: 420_000,
    hookTimeout: 120_000,
  },
});
