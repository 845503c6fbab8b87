// Whether the dashboard's production build (app/.next) is missing or older than the
// code it bundles: `up` rebuilds then, so a `git pull` never serves a stale dashboard,
// and the browser tests use the same rule.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export const APP_DIR = join(REPO_ROOT, 'app');

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, e.name)));
  }
  return newest;
}

/**
 * True when app/<distDir>/BUILD_ID is missing or older than a source of the app or of a workspace package.
 * @param distDir the build's directory under app/ (next.config.ts: PEFT_LAB_NEXT_DIST_DIR, default .next)
 */
export function appBuildIsStale(distDir = '.next'): boolean {
  const buildId = join(APP_DIR, distDir, 'BUILD_ID');
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  const packages = join(REPO_ROOT, 'packages');
  const sources = ['app', 'components', 'lib', 'next.config.ts', 'package.json'].map((p) => join(APP_DIR, p))
    .concat(readdirSync(packages).map((p) => join(packages, p, 'src')));
  return sources.some((s) => newestMtime(s) > built);
}
