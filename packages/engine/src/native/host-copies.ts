/**
 * Loading weights without holding them twice on native TensorFlow.
 *
 * tfjs-node keeps the typed array a tensor was made from and copies it into TensorFlow only
 * when an op first reads the tensor (nodejs_kernel_backend `getInputTensorIds`); after that the
 * array is garbage, but V8 frees an ArrayBuffer only when it collects, and a process that
 * allocates little JavaScript may not collect for a long time. Measured on GPT-2-small: 476 MB
 * of checkpoint arrays were still held after 20 training steps, beside TensorFlow's copy
 * (`process.memoryUsage().arrayBuffers`). So `hostCopyReleaser()` moves each loaded tensor into
 * TensorFlow at once and has V8 collect the dropped arrays every `collectEvery` bytes: a load
 * then holds at most that much beyond the weights.
 *
 * On other backends the arrays are the tensors' storage (cpu) or copied on use (wasm), and the
 * releaser does nothing. It uses tfjs-node's internal upload (as `kernels.ts` uses its op entry).
 */
import * as tf from '@tensorflow/tfjs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

interface NodeBackendInternals {
  getInputTensorIds(tensors: tf.Tensor[]): number[];
}

let collect: (() => void) | null | undefined;

/** V8's full collection (`gc()`), exposed once for this process; null if V8 refuses. */
function collector(): (() => void) | null {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  return collect;
}

export interface HostCopyReleaser {
  /** Hands t's data to the backend now, so the array it was made from can be freed. */
  adopt(t: tf.Tensor): void;
  /** Frees what was dropped since the last collection (call at the end of the load). */
  flush(): void;
}

export function hostCopyReleaser(collectEvery = 256 * 2 ** 20): HostCopyReleaser {
  const backend = tf.backend() as unknown as Partial<NodeBackendInternals>;
  if (tf.getBackend() !== 'tensorflow' || typeof backend.getInputTensorIds !== 'function') return { adopt: () => {}, flush: () => {} };
  const gc = collector();
  let dropped = 0;
  const flush = () => {
    if (dropped > 0) gc?.();
    dropped = 0;
  };
  return {
    adopt(t) {
      backend.getInputTensorIds!([t]);
      dropped += t.size * 4;
      if (dropped >= collectEvery) flush();
    },
    flush,
  };
}
