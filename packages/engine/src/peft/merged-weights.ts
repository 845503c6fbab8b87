/**
 * Merging an attachment into the base weights without writing them (LoRA, DoRA, (IA)³): the
 * merged tensors become new variables swapped into the model's weight map, and unmerge puts the
 * original variables back — bit for bit (peft subtracts or divides again), and a base shared
 * with other models through a FrozenWeightCache (`hf/frozen-weights.ts`) is never touched.
 */
import * as tf from '@tensorflow/tfjs';
import { PeftConfigError } from '../errors.js';
import type { TransformerModel } from '../types.js';

export class MergedWeights {
  /** The base variables merge swapped out, by weight name. */
  private readonly originals = new Map<string, tf.Variable>();

  private swapped = false;

  constructor(private readonly model: TransformerModel) {}

  /** Whether a merge is swapped in (swapIn succeeded and restore has not run since). */
  get active(): boolean {
    return this.swapped;
  }

  /**
   * Swaps `updates` (weight name → merged tensor, owned by this call) into the model, after
   * checking all are finite as peft's safe_merge does; on a non-finite one nothing is swapped,
   * the updates are freed and a PeftConfigError says `nonFinite(name)`.
   */
  swapIn(updates: [string, tf.Tensor][], nonFinite: (name: string) => string): void {
    const bad = updates.find(([, t]) => !tf.tidy(() => tf.all(tf.isFinite(t)).dataSync()[0]));
    if (bad) {
      tf.dispose(updates.map(([, t]) => t));
      throw new PeftConfigError(nonFinite(bad[0]));
    }
    for (const [name, t] of updates) {
      this.originals.set(name, this.model.weights.get(name)!);
      this.model.weights.set(name, tf.variable(t, false));
      t.dispose();
    }
    this.swapped = true;
  }

  /** Frees the merged variables and gives the model its original ones back (nothing when none are swapped in). */
  restore(): void {
    for (const [name, original] of this.originals) {
      this.model.weights.get(name)!.dispose();
      this.model.weights.set(name, original);
    }
    this.originals.clear();
    this.swapped = false;
  }
}
