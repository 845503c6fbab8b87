import * as tf from '@tensorflow/tfjs';
import type { NamedArray } from './safetensors-io.js';
import { CheckpointMismatchError } from './errors.js';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  /**
   * Which parameters get weight decay. Default: tensors of rank ≥ 2 (matrices,
   * embeddings, prompts) but not biases or LayerNorm gains, as in the usual
   * transformer recipe.
   */
  decays?: (name: string, v: tf.Variable) => boolean;
}

/**
 * AdamW (Loshchilov & Hutter): Adam moments plus weight decay applied to the
 * weights directly (decoupled), not through the gradient. Written with plain
 * ops because tf.train.adam has no weight decay and hides its moments, which
 * a checkpoint must hold.
 *
 * All parameters are updated as one flat vector: per-op dispatch dominates
 * small models (a per-parameter update was ~25 ops × every tensor), so the
 * moments live in two flat variables and the math runs once over the
 * concatenation. Checkpoints still see per-parameter moments (`moments()`).
 */
export class AdamW {
  /** Number of updates applied so far (bias correction uses t + 1). */
  t = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly wd: number;
  private readonly groups: FlatGroup[] = [];

  constructor(readonly params: Map<string, tf.Variable>, opts: AdamWOptions = {}) {
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.eps = opts.epsilon ?? 1e-8;
    this.wd = opts.weightDecay ?? 0;
    const decays = opts.decays ?? ((_n, v) => v.rank >= 2);
    // Groups of at most GROUP_ELEMENTS values: few ops for many small tensors,
    // bounded extra memory (the flat copies) for big models.
    let current: string[] = [];
    let currentSize = 0;
    const flush = () => {
      if (current.length) this.groups.push(new FlatGroup(current, params, (n) => this.wd > 0 && decays(n, params.get(n)!)));
      current = [];
      currentSize = 0;
    };
    for (const [name, v] of params) {
      if (currentSize > 0 && currentSize + v.size > GROUP_ELEMENTS) flush();
      current.push(name);
      currentSize += v.size;
    }
    flush();
  }

  /**
   * One update. `grads` keyed like `params` (a missing gradient counts as
   * zero); `gradScale` multiplies every gradient first (global-norm clipping
   * computed by the caller, who already read the norm with the loss).
   */
  apply(grads: Map<string, tf.Tensor>, lr: number, gradScale = 1): void {
    const flat = this.flattenGradients(grads);
    try {
      this.applyFlat(flat, lr, gradScale);
    } finally {
      flat.dispose();
    }
  }

  /**
   * The gradients as this optimiser's flat groups plus their global L2 norm
   * (not read): the training loop reads the norm with the loss, then calls
   * `applyFlat`, so the gradients are concatenated once per step.
   */
  flattenGradients(grads: Map<string, tf.Tensor>): FlatGradients {
    const groups = this.groups.map((g) => g.flattenGradient(grads));
    const norm = tf.tidy(() => tf.addN(groups.map((g) => g.square().sum())).sqrt() as tf.Scalar);
    return { groups, norm, dispose: () => tf.dispose([...groups, norm]) };
  }

  applyFlat(flat: FlatGradients, lr: number, gradScale = 1): void {
    this.t += 1;
    const bc1 = 1 - this.b1 ** this.t;
    const bc2 = 1 - this.b2 ** this.t;
    // Bias corrections folded into the step size and epsilon (Adam paper, end of sec. 2).
    const stepSize = (lr * Math.sqrt(bc2)) / bc1;
    const epsHat = this.eps * Math.sqrt(bc2);
    this.groups.forEach((g, i) => g.update(flat.groups[i], { b1: this.b1, b2: this.b2, epsHat, stepSize, decay: lr * this.wd, gradScale }));
  }

  /** Per-parameter first and second moments, read to host memory (for checkpoints). */
  async moments(): Promise<{ m: Map<string, NamedArray>; v: Map<string, NamedArray> }> {
    const m = new Map<string, NamedArray>(), v = new Map<string, NamedArray>();
    for (const g of this.groups) await g.readMoments(m, v);
    return { m, v };
  }

  /** Restores moments saved by `moments()`, checking every name and shape before changing anything. */
  restoreMoments(m: Map<string, NamedArray>, v: Map<string, NamedArray>): void {
    const flats = this.groups.map((g) => [g.joinMoments(m, 'adam_m'), g.joinMoments(v, 'adam_v')] as const);
    this.groups.forEach((g, i) => g.setMoments(...flats[i]));
  }

  dispose(): void {
    for (const g of this.groups) g.dispose();
  }
}

const GROUP_ELEMENTS = 1 << 22;

export interface FlatGradients {
  /** One flat gradient per parameter group. */
  groups: tf.Tensor1D[];
  /** Global L2 norm over all of them. */
  norm: tf.Scalar;
  dispose(): void;
}

/** Some parameters updated as one flat vector, with their moments as two flat variables. */
class FlatGroup {
  private readonly sizes: number[];
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  /** 1 where weight decay applies; null when none does. */
  private readonly decayMask: tf.Tensor1D | null;

  constructor(private readonly names: string[], private readonly params: Map<string, tf.Variable>, decays: (name: string) => boolean) {
    this.sizes = names.map((n) => params.get(n)!.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.m = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    this.v = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    const mask = new Float32Array(total);
    let off = 0;
    names.forEach((n, i) => {
      if (decays(n)) mask.fill(1, off, off + this.sizes[i]);
      off += this.sizes[i];
    });
    this.decayMask = mask.some((x) => x === 1) ? tf.tensor1d(mask) : null;
  }

  private flat(get: (name: string, i: number) => tf.Tensor): tf.Tensor1D {
    // A reshape is a real kernel (plus a shape upload) on the native backend: skip it for rank-1 tensors (biases, norms).
    const flat1 = (t: tf.Tensor) => (t.rank === 1 ? t : t.reshape([-1]));
    return (this.names.length === 1 ? flat1(get(this.names[0], 0)) : tf.concat(this.names.map((n, i) => flat1(get(n, i))))) as tf.Tensor1D;
  }

  flattenGradient(grads: Map<string, tf.Tensor>): tf.Tensor1D {
    return tf.tidy(() => this.flat((n, i) => grads.get(n) ?? tf.zeros([this.sizes[i]])));
  }

  update(g: tf.Tensor1D, c: { b1: number; b2: number; epsHat: number; stepSize: number; decay: number; gradScale: number }): void {
    tf.tidy(() => {
      const p = this.flat((n) => this.params.get(n)!);
      const m1 = this.m.mul(c.b1).add(g.mul((1 - c.b1) * c.gradScale));
      const v1 = this.v.mul(c.b2).add(g.square().mul((1 - c.b2) * c.gradScale * c.gradScale));
      this.m.assign(m1);
      this.v.assign(v1);
      let next = p.sub(m1.div(v1.sqrt().add(c.epsHat)).mul(c.stepSize));
      if (this.decayMask && c.decay > 0) next = next.sub(p.mul(this.decayMask.mul(c.decay)));
      const parts = this.names.length === 1 ? [next] : tf.split(next, this.sizes);
      this.names.forEach((n, i) => {
        const param = this.params.get(n)!;
        param.assign(param.rank === 1 ? parts[i] : parts[i].reshape(param.shape));
      });
    });
  }

  async readMoments(mOut: Map<string, NamedArray>, vOut: Map<string, NamedArray>): Promise<void> {
    const [m, v] = [(await this.m.data()) as Float32Array, (await this.v.data()) as Float32Array];
    let off = 0;
    this.names.forEach((n, i) => {
      const shape = this.params.get(n)!.shape.slice();
      mOut.set(n, { shape, data: m.slice(off, off + this.sizes[i]) });
      vOut.set(n, { shape, data: v.slice(off, off + this.sizes[i]) });
      off += this.sizes[i];
    });
  }

  joinMoments(arrays: Map<string, NamedArray>, what: string): Float32Array {
    const flat = new Float32Array(this.sizes.reduce((a, b) => a + b, 0));
    let off = 0;
    this.names.forEach((n, i) => {
      const a = arrays.get(n);
      if (!a) throw new CheckpointMismatchError(`${what}: checkpoint has no tensor "${n}"`);
      if (a.data.length !== this.sizes[i]) throw new CheckpointMismatchError(`${what} "${n}": checkpoint shape [${a.shape}] != parameter shape [${this.params.get(n)!.shape}]`);
      flat.set(a.data, off);
      off += this.sizes[i];
    });
    return flat;
  }

  setMoments(m: Float32Array, v: Float32Array): void {
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(m));
      this.v.assign(tf.tensor1d(v));
    });
  }

  dispose(): void {
    tf.dispose([this.m, this.v, ...(this.decayMask ? [this.decayMask] : [])]);
  }
}

/** Global L2 norm of all gradients, as a scalar tensor (not read here). */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.addN([...grads].map((g) => g.square().sum())).sqrt() as tf.Scalar);
}
