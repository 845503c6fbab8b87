import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run test:slow`: tests too slow or too large for `npm test` (the 124 M-parameter
// full fine-tuning checkpoint round trip, minutes and gigabytes). Not part of `npm test`.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['*.slow.test.ts'],
    fileParallelism: false,
    testTimeout: 1_800_000,
    hookTimeout: 600_000,
  },
});
