// One `peft-lab serve --sweep ID --best-per-method` child process per sweep, started when the
// playground first needs it and kept until it has served no request for `idleMinutes` (default 15;
// the next request starts it again) or the dashboard stops. A child process, not
// @peft-lab/serve's startServe in this process: serving loads TensorFlow.js, which the dashboard's
// build must never bundle or load (next.config.ts). The CLI runs under tsx (`node --import tsx`,
// one process: a kill reaches the server itself, not a wrapper).
import { spawn, type ChildProcess } from 'node:child_process';
import { cliNodeArgs, findRepoRoot } from '../cli-process';
import { ServeUnavailableError } from '../errors';

/** How long a start may take: tsx compiling the CLI, the model loading, the sweep's adapters written from PostgreSQL. */
const START_TIMEOUT_MS = 180_000;
/** What the CLI prints once listening: `peft-lab serve: <model> (<dir>) on http://127.0.0.1:PORT`. */
const LISTENING = / on (http:\/\/[^\s]+)/;
// The child reads its stdin only to notice the dashboard is gone: the pipe closes when this
// process dies in any way (even SIGKILL, where no 'exit' handler runs), and the server then stops
// itself with SIGTERM, which the CLI handles (closes, removes its artifacts' temporary directories).
const EXIT_WITH_PARENT = 'data:text/javascript,process.stdin.on("end",()=>process.kill(process.pid,"SIGTERM")).resume()';

export interface ManagedServe {
  sweepId: string;
  url: string;
  pid: number;
  startedAt: Date;
  /** The last lines the server printed (for error messages). */
  output(): string;
}

interface Entry {
  ready: Promise<ManagedServe>;
  child: ChildProcess;
  /** Requests using it now (withServe): it is never idle-stopped under one. */
  busy: number;
  idleMs: number;
  idleTimer?: ReturnType<typeof setTimeout>;
}

/** Stopped after this long without a request unless the caller says otherwise (PEFT_LAB_PLAYGROUND_IDLE_MINUTES). */
export const DEFAULT_IDLE_MINUTES = 15;

export interface ServeOptions {
  /** Minutes without a request before the server is stopped; 0: never. Default DEFAULT_IDLE_MINUTES. */
  idleMinutes?: number;
}

/** (Re)starts the idle countdown of an entry no request is using. */
function armIdle(sweepId: string, entry: Entry): void {
  if (entry.idleTimer) clearTimeout(entry.idleTimer);
  entry.idleTimer = undefined;
  if (entry.busy > 0 || !(entry.idleMs > 0) || registry.get(sweepId) !== entry) return;
  entry.idleTimer = setTimeout(() => {
    entry.idleTimer = undefined;
    if (entry.busy > 0 || registry.get(sweepId) !== entry) return;
    // Out of the map first: a request from now on starts a new server rather than this stopping one.
    registry.delete(sweepId);
    entry.child.kill('SIGTERM');
  }, entry.idleMs);
  // an idle countdown never keeps the dashboard's process alive
  entry.idleTimer.unref?.();
}

// On globalThis: Next may evaluate this module once per route bundle, and there must be one map.
const registry = ((globalThis as { __peftLabServes?: Map<string, Entry> }).__peftLabServes ??= new Map());
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // next start turns SIGTERM / SIGINT into process.exit, so 'exit' runs on a normal stop.
  process.once('exit', () => {
    for (const e of registry.values()) e.child.kill('SIGTERM');
  });
}

/** The running server of a sweep, if the dashboard started one. */
export function runningServe(sweepId: string): Promise<ManagedServe> | undefined {
  return registry.get(sweepId)?.ready;
}

/**
 * The sweep's server: started on a free port (the CLI binds port 0 and prints its URL) on first
 * call, then the same one; a server that exited, or was stopped after `idleMinutes` without a
 * call, is started again. Each call restarts the idle countdown.
 * @param model the sweep's base model as `--model` takes it (builtin, a registered name, a directory)
 * @throws ServeUnavailableError when it exits or does not listen within START_TIMEOUT_MS, with what it printed
 */
export function ensureServe(sweepId: string, model: string, opts: ServeOptions = {}): Promise<ManagedServe> {
  const entry = entryFor(sweepId, model, opts);
  armIdle(sweepId, entry);
  return entry.ready;
}

/**
 * `fn` with the sweep's server (ensureServe), which is not idle-stopped while `fn` runs; the
 * idle countdown starts again when it settles (a playground request: listing, loading, predicting).
 * @throws ServeUnavailableError as ensureServe, and whatever `fn` throws
 */
export async function withServe<T>(sweepId: string, model: string, opts: ServeOptions, fn: (serve: ManagedServe) => Promise<T>): Promise<T> {
  const entry = entryFor(sweepId, model, opts);
  entry.busy++;
  armIdle(sweepId, entry);
  try {
    return await fn(await entry.ready);
  } finally {
    entry.busy--;
    armIdle(sweepId, entry);
  }
}

function entryFor(sweepId: string, model: string, opts: ServeOptions): Entry {
  const idleMs = (opts.idleMinutes ?? DEFAULT_IDLE_MINUTES) * 60_000;
  const known = registry.get(sweepId);
  if (known) {
    known.idleMs = idleMs;
    return known;
  }
  installExitHook();
  const root = findRepoRoot();
  if (!root) throw new ServeUnavailableError(`serve: cannot find packages/cli/src/main.ts above ${process.cwd()} to start peft-lab serve`);
  const child = spawn(process.execPath, cliNodeArgs(root, ['serve', '--model', model, '--sweep', sweepId, '--best-per-method', '--port', '0'], [EXIT_WITH_PARENT]),
    { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString('utf8')).slice(-8000); };
  child.stdout!.on('data', keep);
  const ready = new Promise<ManagedServe>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new ServeUnavailableError(`serve: peft-lab serve --sweep ${sweepId} did not listen within ${START_TIMEOUT_MS / 1000} s:\n${out.slice(-2000)}`));
    }, START_TIMEOUT_MS);
    child.stderr!.on('data', (d: Buffer) => {
      keep(d);
      const m = LISTENING.exec(out);
      if (m && child.pid) {
        clearTimeout(timer);
        resolve({ sweepId, url: m[1], pid: child.pid, startedAt: new Date(), output: () => out });
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new ServeUnavailableError(`serve: could not start peft-lab serve (${err.message})`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (entry.idleTimer) clearTimeout(entry.idleTimer);
      if (registry.get(sweepId)?.child === child) registry.delete(sweepId);
      // After resolve this is a no-op; before it, the start failed: say what the CLI said.
      reject(new ServeUnavailableError(`serve: peft-lab serve --sweep ${sweepId} exited (${code ?? signal}) before listening:\n${out.slice(-2000).trim()}`));
    });
  });
  ready.catch(() => { if (registry.get(sweepId)?.child === child) registry.delete(sweepId); });
  const entry: Entry = { ready, child, busy: 0, idleMs };
  registry.set(sweepId, entry);
  return entry;
}
