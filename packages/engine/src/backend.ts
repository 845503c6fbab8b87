/**
 * Picks the fastest TensorFlow.js backend present on this machine and activates it.
 *
 * Order for `auto`: tfjs-node-gpu → tfjs-node (native TensorFlow) → wasm. The pure-JS
 * `cpu` backend (~100x slower than native) is used only when asked for, or when wasm
 * itself cannot start. The native packages are imported lazily so the engine works
 * where they are missing or their addon was never built (see scripts/setup-native-tf.mjs).
 *
 * All engine code imports tf from '@tensorflow/tfjs'; tfjs-node and tfjs-backend-wasm
 * register their backends on that same tfjs-core (the lockfile holds exactly one copy).
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import { PeftLabError } from './errors.js';
import { engineEnv, quietTensorFlowLogs } from './env.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = BackendName | 'auto';

/** What ran the math; store it with results so timings can be compared fairly. */
export interface BackendInfo {
  name: BackendName;
  device: 'gpu' | 'cpu';
  /** npm package that provides the backend, e.g. `@tensorflow/tfjs-node`. */
  package: string;
  /** Version of that package. */
  version: string;
  /** Version of the TensorFlow C library behind a native backend (e.g. `2.21.0`). */
  libVersion?: string;
  /** Threads the backend computes with, where it is fixed (wasm, cpu). Native TF sizes its own pools. */
  threads?: number;
}

export interface SelectBackendOptions {
  /** Overrides env `PEFT_LAB_BACKEND`; default `auto`. */
  prefer?: BackendPreference;
  /** Throw instead of falling back when the preferred backend cannot load. */
  strict?: boolean;
  /** Where the one-line fallback notice goes; default stderr. */
  log?: (line: string) => void;
}

/** The backend asked for (option or `PEFT_LAB_BACKEND`) is unknown, or cannot load under `strict`. */
export class BackendSelectionError extends PeftLabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BACKEND_SELECTION', message, options);
  }
}

export const backendPreferenceSchema = z.enum(['auto', 'tensorflow', 'wasm', 'cpu']);

const require = createRequire(import.meta.url);
const NATIVE_PACKAGES = [
  { pkg: '@tensorflow/tfjs-node-gpu', device: 'gpu' },
  { pkg: '@tensorflow/tfjs-node', device: 'cpu' },
] as const;
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
const CPU_PACKAGE = '@tensorflow/tfjs-backend-cpu';

/** Loaded native backends, so a second call does not re-import or re-report. */
const nativeLoaded = new Map<string, BackendInfo>();
let wasmModule: typeof import('@tensorflow/tfjs-backend-wasm') | undefined;

function packageVersion(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Module-not-found messages list every require stack frame; the first line says it all.
  return message.split('\n')[0].slice(0, 300).trim();
}

/** Resolves the preference: option, then `PEFT_LAB_BACKEND`, then `auto`. */
export function resolveBackendPreference(prefer?: BackendPreference, env?: NodeJS.ProcessEnv): BackendPreference {
  const raw = prefer ?? (engineEnv(env).PEFT_LAB_BACKEND ?? 'auto');
  const parsed = backendPreferenceSchema.safeParse(raw.toLowerCase());
  if (!parsed.success) {
    const source = prefer !== undefined ? 'prefer' : 'PEFT_LAB_BACKEND';
    throw new BackendSelectionError(`${source}=${JSON.stringify(raw)}: expected one of auto, tensorflow, wasm, cpu`);
  }
  return parsed.data;
}

async function loadNative(): Promise<BackendInfo> {
  const reasons: string[] = [];
  for (const { pkg, device } of NATIVE_PACKAGES) {
    const known = nativeLoaded.get(pkg);
    if (known) {
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg}: setBackend('tensorflow') failed`);
      return known;
    }
    try {
      require.resolve(`${pkg}/package.json`);
    } catch {
      // The GPU build is an optional extra (none is obtainable here); only its absence is not news.
      if (device === 'cpu') reasons.push(`${pkg} not installed`);
      continue;
    }
    try {
      // TensorFlow prints start-up logs to stderr unless told not to; must be set before load.
      quietTensorFlowLogs();
      // A variable specifier keeps tsc and bundlers from requiring the package to exist.
      const specifier: string = pkg;
      await import(specifier);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`setBackend('tensorflow') failed`);
      await tf.ready();
      const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
      const info: BackendInfo = {
        name: 'tensorflow',
        device,
        package: pkg,
        version: packageVersion(pkg),
        ...(binding?.TF_Version ? { libVersion: binding.TF_Version } : {}),
      };
      nativeLoaded.set(pkg, info);
      return info;
    } catch (err) {
      reasons.push(`${pkg}: ${reasonOf(err)}`);
    }
  }
  throw new Error(reasons.join('; '));
}

/** Directory holding the package's .wasm files, as a prefix for `setWasmPaths`. */
function wasmDir(): string {
  return path.dirname(require.resolve(WASM_PACKAGE)) + path.sep;
}

async function loadWasm(): Promise<BackendInfo> {
  if (!wasmModule) {
    wasmModule = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm files are read from disk; name their directory explicitly so the
    // lookup does not depend on how this module was bundled or transformed (vitest, Next).
    // setWasmPaths throws once the backend is initialized (someone else set it up): keep theirs.
    if (!tf.findBackend('wasm')) wasmModule.setWasmPaths(wasmDir());
  }
  if (!(await tf.setBackend('wasm'))) throw new Error(`setBackend('wasm') failed`);
  await tf.ready();
  return { name: 'wasm', device: 'cpu', package: WASM_PACKAGE, version: packageVersion(WASM_PACKAGE), threads: wasmModule.getThreadsCount() };
}

async function loadCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new Error(`setBackend('cpu') failed`);
  await tf.ready();
  // The cpu backend prints an "install tfjs-node" banner on first use in Node; cpu was
  // chosen on purpose (or our own fallback line already said why), so it is only noise.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return { name: 'cpu', device: 'cpu', package: CPU_PACKAGE, version: packageVersion(CPU_PACKAGE), threads: 1 };
}

const LOADERS: Record<BackendName, () => Promise<BackendInfo>> = { tensorflow: loadNative, wasm: loadWasm, cpu: loadCpu };
const FALLBACK_CHAIN: Record<BackendPreference, BackendName[]> = {
  auto: ['tensorflow', 'wasm', 'cpu'],
  tensorflow: ['tensorflow', 'wasm', 'cpu'],
  wasm: ['wasm', 'cpu'],
  cpu: ['cpu'],
};
const LABEL: Record<BackendName, string> = { tensorflow: 'native TensorFlow', wasm: 'wasm', cpu: 'cpu' };

/**
 * Loads and activates the fastest available backend (or the one asked for) and says which.
 *
 * Prints one line when it falls back, e.g.
 * `native TensorFlow not available (@tensorflow/tfjs-node: Cannot find module …); using wasm`.
 *
 * @example
 * const backend = await selectBackend();            // auto, or PEFT_LAB_BACKEND
 * const wasm = await selectBackend({ prefer: 'wasm' });
 * result.backend = backend;                          // { name: 'tensorflow', device: 'cpu', … }
 */
export async function selectBackend(opts: SelectBackendOptions = {}): Promise<BackendInfo> {
  const preference = resolveBackendPreference(opts.prefer);
  const log = opts.log ?? ((line: string) => console.warn(line));
  const chain = FALLBACK_CHAIN[preference];
  const failures: string[] = [];
  for (const name of chain) {
    try {
      const info = await LOADERS[name]();
      if (failures.length > 0) log(`${failures.join('; ')}; using ${LABEL[name]}`);
      return info;
    } catch (err) {
      const failure = `${LABEL[name]} not available (${reasonOf(err)})`;
      if (opts.strict) throw new BackendSelectionError(failure);
      failures.push(failure);
    }
  }
  throw new BackendSelectionError(`no TensorFlow.js backend could be loaded: ${failures.join('; ')}`);
}
