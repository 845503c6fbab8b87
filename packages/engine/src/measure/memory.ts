import * as tf from '@tensorflow/tfjs';
import { peftKernels } from '../native/kernels.js';
import { peakRssWindow, type PeakRssScope } from './peak-rss.js';

interface EngineInternals {
  state: { tensorInfo: WeakMap<object, { backend: unknown; bytes: number }> };
  trackTensor(a: tf.Tensor, backend: unknown): void;
  removeDataId(dataId: object, backend: unknown): void;
}

let bufferBytes: { value: number } | null = null;

/**
 * Bytes of live tensor buffers, each buffer once. `tf.memory().numBytes` counts every tensor
 * object, so a clone saved for the backward pass (sharing its buffer) counts its bytes again
 * and a LoRA step looked nearly as big as a full fine-tuning one. This wraps the engine's two
 * bookkeeping points (tfjs-core's internal `trackTensor`, where a buffer is first seen, and
 * `removeDataId`, where its last tensor goes); counting starts when first called.
 */
export function liveBufferBytes(): number {
  if (!bufferBytes) {
    const counter = { value: 0 };
    const engine = tf.engine() as unknown as EngineInternals;
    const track = engine.trackTensor.bind(engine);
    const remove = engine.removeDataId.bind(engine);
    engine.trackTensor = (a, backend) => {
      const fresh = !engine.state.tensorInfo.has(a.dataId);
      track(a, backend);
      if (fresh) counter.value += engine.state.tensorInfo.get(a.dataId)?.bytes ?? 0;
    };
    engine.removeDataId = (dataId, backend) => {
      const info = engine.state.tensorInfo.get(dataId);
      remove(dataId, backend);
      if (info && !engine.state.tensorInfo.has(dataId)) counter.value -= info.bytes;
    };
    // Buffers that existed before: tfjs's count is an upper bound for them; start from it.
    counter.value = tf.memory().numBytes;
    bufferBytes = counter;
  }
  return bufferBytes.value;
}

/**
 * Tracks the peak of the live tensor buffers' bytes (`liveBufferBytes`, each buffer once) over
 * the points where `sample()` is called. The training loop samples right after the gradients
 * exist, when activations, gradients, weights and moments are all alive at once.
 */
export class PeakMemorySampler {
  readonly startBytes = liveBufferBytes();
  peakBytes = this.startBytes;

  sample(): number {
    const now = liveBufferBytes();
    if (now > this.peakBytes) this.peakBytes = now;
    return now;
  }
}

/** One trial's (or one benchmark's) memory peaks, each from where it is exact. */
export interface MemoryPeaks {
  /**
   * Peak bytes TensorFlow's CPU allocator held during the window over its allocations of
   * 256 KiB or more (oneDNN's allocator keeps no statistics for smaller ones): weights,
   * activations, gradients, optimizer state and op scratch, between the training loop's
   * samples too. A trial's own figure even in a worker whose allocator pool an earlier trial
   * grew; right for real models, an undercount for tiny ones. Absent off native TensorFlow.
   */
  peakAllocatorBytes?: number;
  /**
   * Peak resident set size of the process during the window (runtime and allocator pool
   * included). With scope 'since-reset' it is this window's; with 'process' the process's
   * life's. TensorFlow's pool keeps pages an earlier trial touched, so in a long-lived worker
   * this is at least the largest earlier trial's.
   */
  peakRssBytes: number;
  peakRssScope: PeakRssScope;
}

/** Starts a window over the allocator's peak and the process's peak RSS; `end()` reads both. */
export function memoryPeakWindow(): { end(): MemoryPeaks } {
  const kernels = peftKernels();
  const allocatorStart = kernels?.allocatorPeak(true) ?? null;
  const rss = peakRssWindow();
  return {
    end: () => {
      const alloc = allocatorStart ? kernels!.allocatorPeak(false) : null;
      return { ...(alloc ? { peakAllocatorBytes: alloc.peakBytesInUse } : {}), peakRssBytes: rss.peak(), peakRssScope: rss.scope };
    },
  };
}
