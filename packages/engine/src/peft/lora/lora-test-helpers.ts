// Shared by the LoRA test files (not a test file itself).
import * as tf from '@tensorflow/tfjs';
import type { LoraAttachment } from './index.js';

/** Gives a fresh adapter a non-zero B (seeded) so it changes the output. */
export function perturb(a: LoraAttachment, seed: number): void {
  for (const m of a.modules.values()) m.loraB.assign(tf.randomNormal(m.loraB.shape, 0, 0.2, 'float32', seed++));
}
