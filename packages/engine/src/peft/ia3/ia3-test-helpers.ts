// Shared by the (IA)³ test files (not a test file itself).
import * as tf from '@tensorflow/tfjs';
import type { Ia3Attachment } from './index.js';

/** Moves every vector away from ones (seeded, 1 + N(0, 0.2)), so the adapter changes the output. */
export function perturbIa3(a: Ia3Attachment, seed: number): void {
  for (const m of a.modules.values()) m.vector.assign(tf.tidy(() => tf.add(1, tf.randomNormal(m.vector.shape, 0, 0.2, 'float32', seed++))));
}
