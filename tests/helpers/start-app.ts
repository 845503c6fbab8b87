// Builds the dashboard when its build is missing or older than its sources, and
// starts `next start` on a free port against a given database.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_DIR, appBuildIsStale } from '@peft-lab/cli';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export { APP_DIR };
const NEXT_BIN = join(REPO_ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');

/**
 * The app's own build script (`npm run build` in app/) when stale (minutes on a loaded 2-core machine).
 * With PEFT_LAB_NEXT_DIST_DIR set (next.config.ts reads it, and startApp passes it on to next start),
 * the build is app/<that dir>, so a test run does not replace the shared app/.next.
 */
export function ensureAppBuilt(log: (s: string) => void = () => {}): void {
  const distDir = process.env.PEFT_LAB_NEXT_DIST_DIR?.trim() || '.next';
  if (!appBuildIsStale(distDir)) return;
  log(`building the app (npm run build in app/, into ${distDir})…`);
  const r = spawnSync('npm', ['run', 'build'], { cwd: APP_DIR, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`app build failed (exit ${r.status}):\n${(r.stdout ?? '').slice(-4000)}\n${(r.stderr ?? '').slice(-4000)}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningApp {
  url: string;
  process: ChildProcess;
  /** What the server printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the built app with DATABASE_URL; resolves once /api/health answers. */
export async function startApp(opts: { databaseUrl: string; env?: Record<string, string>; timeoutMs?: number }): Promise<RunningApp> {
  const port = await freePort();
  const child = spawn(process.execPath, [NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: APP_DIR,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', DATABASE_URL: opts.databaseUrl, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const url = `http://127.0.0.1:${port}`;
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${out}`);
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.status < 500) return { url, process: child, output: () => out, stop };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`next start did not answer within ${opts.timeoutMs ?? 60_000} ms:\n${out}`);
}

/** Debian's Chromium, headless, with the flags that work here as root (ENVIRONMENT.md), in a fresh profile. */
export async function launchChromium(viewport = { width: 1280, height: 800 }) {
  const { chromium } = await import('playwright-core');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const profile = mkdtempSync(join(tmpdir(), 'peft-lab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    viewport,
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
