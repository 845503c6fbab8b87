/**
 * Per-trial memory peaks on native TensorFlow: the allocator's peak window sees what one
 * window allocated, and a later window is not charged for an earlier one's (which is why the
 * claims check uses it: peak RSS keeps what TensorFlow's pool once touched). Skipped only where
 * native TensorFlow cannot load.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../backend.js';
import { peftKernels } from '../native/kernels.js';
import { memoryPeakWindow } from './memory.js';

const native = await selectBackend({ prefer: 'tensorflow', strict: true, log: () => {} }).then(() => true, () => false);

describe.skipIf(!native)('memoryPeakWindow on native TensorFlow', () => {
  it('the allocator peak covers one window only; peak RSS is reported beside it', () => {
    expect(peftKernels()).not.toBeNull();
    const MB64 = 64 * 2 ** 20;
    const first = memoryPeakWindow();
    const big = tf.tidy(() => tf.ones([MB64 / 4]).mul(2)); // 64 MB held, 128 MB at the peak
    big.dataSync();
    big.dispose();
    const a = first.end();
    expect(a.peakAllocatorBytes).toBeGreaterThanOrEqual(MB64);
    expect(a.peakRssBytes).toBeGreaterThan(MB64);

    const second = memoryPeakWindow();
    const small = tf.tidy(() => tf.ones([2 ** 20 / 4]).mul(2)); // 1 MB
    small.dataSync();
    small.dispose();
    const b = second.end();
    expect(b.peakAllocatorBytes).toBeGreaterThanOrEqual(2 ** 20);
    expect(b.peakAllocatorBytes!).toBeLessThan(a.peakAllocatorBytes! - MB64 / 2);
  });
});
