/**
 * PEFT Lab's fused kernels: a TensorFlow custom-op library (`packages/engine/native/`, C++
 * against the TensorFlow C API, built by the install step) loaded into the native CPU backend.
 *
 * The library registers its ops with TensorFlow when it is loaded; this file registers each
 * as a tfjs kernel of the `tensorflow` backend (so `runKernel` tracks, tidies and profiles
 * it like any other) that executes the op by name through tfjs-node's op-execution entry —
 * an internal tfjs-node API, used nowhere else.
 *
 * `peftKernels()` answers null, and the engine keeps its plain tfjs path, when:
 * - the backend is not native TensorFlow on a CPU (wasm, cpu, tfjs-node-gpu);
 * - `PEFT_LAB_NATIVE_KERNELS=0` (for debugging: results must not depend on the path);
 * - the library is missing, stale or does not load (said once, in one line).
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineEnv } from '../env.js';

/** Must equal PEFT_KERNELS_VERSION in native/src/version.h. */
export const KERNELS_VERSION = 10;
export const KERNELS_ENV = 'PEFT_LAB_NATIVE_KERNELS';

type AttrKind = 'int' | 'float' | 'bool';
interface OpInfo {
  outputs: number | ((inputs: number) => number);
  attrs?: Record<string, AttrKind>;
}

/** Every op of the library: how many outputs, and the types of its attributes. */
const OPS: Record<string, OpInfo> = {
  PeftLabAdamW: { outputs: 1, attrs: { N: 'int' } },
  PeftLabGlobalNorm: { outputs: 1, attrs: { N: 'int' } },
  PeftLabCopy: { outputs: 1 },
  PeftLabLayerNorm: { outputs: 3, attrs: { eps: 'float' } },
  PeftLabLayerNormGrad: { outputs: 3 },
  PeftLabRmsNorm: { outputs: 2, attrs: { eps: 'float', offset: 'float' } },
  PeftLabRmsNormGrad: { outputs: 2, attrs: { offset: 'float' } },
  PeftLabGelu: { outputs: 1, attrs: { approximate: 'bool' } },
  PeftLabBiasGelu: { outputs: 1, attrs: { approximate: 'bool' } },
  PeftLabGeluGrad: { outputs: 1, attrs: { approximate: 'bool' } },
  PeftLabBiasGeluGrad: { outputs: 2, attrs: { approximate: 'bool' } },
  PeftLabGlu: { outputs: 1, attrs: { act: 'int' } },
  PeftLabGluGrad: { outputs: 2, attrs: { act: 'int' } },
  PeftLabAttention: { outputs: 1, attrs: { scale: 'float', dropout: 'float' } },
  PeftLabAttentionGrad: { outputs: 3, attrs: { scale: 'float', dropout: 'float' } },
  PeftLabAttentionQkv: { outputs: 1, attrs: { heads: 'int', scale: 'float', dropout: 'float' } },
  PeftLabAttentionQkvGrad: { outputs: 1, attrs: { heads: 'int', scale: 'float', dropout: 'float' } },
  PeftLabDropout: { outputs: 1, attrs: { rate: 'float' } },
  PeftLabCrossEntropyWithGrad: { outputs: 2, attrs: { ignore_index: 'int' } },
};
export type PeftOpName = keyof typeof OPS;

interface TfAttr { name: string; type: number; value: number | boolean }
interface NodeBackend {
  binding: { TF_ATTR_INT: number; TF_ATTR_FLOAT: number; TF_ATTR_BOOL: number };
  executeSingleOutput(name: string, attrs: TfAttr[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: TfAttr[], inputs: tf.Tensor[], numOutputs: number): tf.Tensor[];
}

export interface PeftKernels {
  /** Runs op `name` on `inputs` (in the op's input order; list inputs flattened). */
  run(name: PeftOpName, inputs: tf.Tensor[], attrs?: Record<string, number | boolean>): tf.Tensor[];
  /**
   * TensorFlow's CPU allocator: bytes in use and the peak since the last reset (`reset` starts
   * a new window at the bytes in use now); null when the allocator keeps no statistics.
   */
  allocatorPeak(reset?: boolean): { bytesInUse: number; peakBytesInUse: number } | null;
}

interface KernelsLibrary {
  version?: number;
  allocatorPeak?(reset: boolean): { bytesInUse: number; peakBytesInUse: number } | null;
}

let loaded: PeftKernels | null | undefined; // undefined: not tried yet
let announced = false;
const require = createRequire(import.meta.url);

/** The library's path: packages/engine/native/build/peft_kernels.node. */
export function kernelsLibraryPath(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'peft_kernels.node');
}

function disabledByEnv(): boolean {
  return !engineEnv()[KERNELS_ENV];
}

/** tfjs-node-gpu also names its backend `tensorflow`; our kernels are CPU-only. */
function gpuBuild(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node-gpu/package.json');
    return true;
  } catch {
    return false;
  }
}

function load(): PeftKernels {
  const file = kernelsLibraryPath();
  if (!fs.existsSync(file)) throw new Error(`${path.relative(process.cwd(), file)} is not built (npm install builds it; or node packages/engine/native/build.mjs)`);
  const lib = require(file) as KernelsLibrary;
  if (lib.version !== KERNELS_VERSION) throw new Error(`the library is version ${lib.version}, the engine expects ${KERNELS_VERSION} (rebuild: node packages/engine/native/build.mjs)`);
  for (const [name, info] of Object.entries(OPS)) {
    if (tf.getKernel(name, 'tensorflow')) continue;
    tf.registerKernel({
      kernelName: name,
      backendName: 'tensorflow',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as unknown as NodeBackend;
        const list = Object.values(inputs) as tf.Tensor[];
        const tfAttrs = Object.entries(info.attrs ?? {}).filter(([k]) => attrs?.[k] !== undefined).map(([k, kind]) => ({
          name: k,
          type: kind === 'int' ? b.binding.TF_ATTR_INT : kind === 'float' ? b.binding.TF_ATTR_FLOAT : b.binding.TF_ATTR_BOOL,
          value: attrs![k] as number | boolean,
        }));
        const n = typeof info.outputs === 'number' ? info.outputs : info.outputs(list.length);
        return b.executeMultipleOutputs(name, tfAttrs, list, n);
      },
    });
  }
  return {
    run(name, inputs, attrs = {}) {
      const named: Record<string, tf.Tensor> = {};
      inputs.forEach((t, i) => { named[i] = t; });
      const out = tf.engine().runKernel(name, named as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
      return Array.isArray(out) ? out : [out as tf.Tensor];
    },
    allocatorPeak: (reset = false) => lib.allocatorPeak?.(reset) ?? null,
  };
}

/**
 * The fused kernels when they apply to the active backend, else null (see the file comment).
 * Cheap to call per op: the answer is cached after the first load attempt.
 */
export function peftKernels(): PeftKernels | null {
  if (tf.getBackend() !== 'tensorflow' || disabledByEnv()) return null;
  if (loaded === undefined) {
    try {
      if (gpuBuild()) throw new Error('tfjs-node-gpu is installed: the kernels are CPU-only');
      loaded = load();
    } catch (err) {
      loaded = null;
      if (!announced) {
        announced = true;
        console.warn(`PEFT Lab kernels not available (${err instanceof Error ? err.message.split('\n')[0] : err}); using the plain tfjs kernels`);
      }
    }
  }
  return loaded;
}

/**
 * What computes the math, for results and benchmarks: the tfjs backend name, plus
 * `+peft-kernels` when our fused kernels run on it (e.g. `tensorflow+peft-kernels`).
 */
export function computeBackendLabel(): string {
  return peftKernels() ? `${tf.getBackend()}+peft-kernels` : tf.getBackend();
}
