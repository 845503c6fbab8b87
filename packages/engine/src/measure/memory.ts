import * as tf from '@tensorflow/tfjs';

/**
 * Tracks the peak of `tf.memory().numBytes` (bytes held by live tensors) over
 * the points where `sample()` is called. The training loop samples right after
 * the gradients exist, when activations, gradients, weights and moments are all
 * alive at once.
 */
export class PeakMemorySampler {
  readonly startBytes = tf.memory().numBytes;
  peakBytes = this.startBytes;

  sample(): number {
    const now = tf.memory().numBytes;
    if (now > this.peakBytes) this.peakBytes = now;
    return now;
  }
}
