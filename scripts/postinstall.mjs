// Runs after `npm install` / `npm ci`: generates the Prisma client and sets up the
// native TensorFlow backend and our custom-op library when it can. Each step prints one line and never
// fails the install (the engine falls back to wasm without native TF).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const steps = [];
if (existsSync('prisma/schema.prisma')) steps.push(['prisma client', 'node', ['scripts/prisma-generate.mjs']]);
if (existsSync('scripts/setup-native-tf.mjs')) steps.push(['native TensorFlow', 'node', ['scripts/setup-native-tf.mjs']]);
// Our fused kernels (a TensorFlow custom-op library) build against what the previous step staged.
if (existsSync('packages/engine/native/build.mjs')) steps.push(['PEFT Lab kernels', 'node', ['packages/engine/native/build.mjs']]);

let failed = false;
for (const [name, cmd, args] of steps) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[postinstall] ${name}: step failed (exit ${r.status})`);
    if (name === 'prisma client') failed = true;
  }
}
process.exit(failed ? 1 : 0);
