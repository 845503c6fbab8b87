import { defineConfig } from 'vitest/config';

// Parsing a whole corpus takes 1–3 s on a busy 2-core machine; the default 5 s is too tight for the first load.
export default defineConfig({ test: { testTimeout: 60_000 } });
