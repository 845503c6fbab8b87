// One `peft-lab serve --sweep ID --best-per-method` child process per sweep, started when the
// playground first needs it and kept until the dashboard stops. A child process, not
// @peft-lab/serve's startServe in this process: serving loads TensorFlow.js, which the dashboard's
// build must never bundle or load (next.config.ts). The CLI runs under tsx (`node --import tsx`,
// one process: a kill reaches the server itself, not a wrapper).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
}

// On globalThis: Next may evaluate this module once per route bundle, and there must be one map.
const registry = ((globalThis as { __peftLabServes?: Map<string, Entry> }).__peftLabServes ??= new Map());
let exitHookInstalled = false;

/** The repository root, found from the dashboard's working directory (app/ under `next start`). */
function repoRoot(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'packages', 'cli', 'src', 'main.ts'))) return dir;
    if (dirname(dir) === dir) throw new ServeUnavailableError(`serve: cannot find packages/cli/src/main.ts above ${process.cwd()} to start peft-lab serve`);
  }
}

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
 * call, then the same one; a server that exited is started again.
 * @param model the sweep's base model as `--model` takes it (builtin, a registered name, a directory)
 * @throws ServeUnavailableError when it exits or does not listen within START_TIMEOUT_MS, with what it printed
 */
export function ensureServe(sweepId: string, model: string): Promise<ManagedServe> {
  const known = registry.get(sweepId);
  if (known) return known.ready;
  installExitHook();
  const root = repoRoot();
  const child = spawn(process.execPath, [
    '--import', 'tsx', '--import', EXIT_WITH_PARENT, join(root, 'packages', 'cli', 'src', 'main.ts'),
    'serve', '--model', model, '--sweep', sweepId, '--best-per-method', '--port', '0',
  ], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
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
      if (registry.get(sweepId)?.child === child) registry.delete(sweepId);
      // After resolve this is a no-op; before it, the start failed: say what the CLI said.
      reject(new ServeUnavailableError(`serve: peft-lab serve --sweep ${sweepId} exited (${code ?? signal}) before listening:\n${out.slice(-2000).trim()}`));
    });
  });
  ready.catch(() => { if (registry.get(sweepId)?.child === child) registry.delete(sweepId); });
  registry.set(sweepId, { ready, child });
  return ready;
}
