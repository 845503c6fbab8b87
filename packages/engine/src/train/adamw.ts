import * as tf from '@tensorflow/tfjs';
import type { NamedArray } from './safetensors-io.js';
import { CheckpointMismatchError } from './errors.js';
import { peftKernels, type PeftKernels } from '../native/kernels.js';

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
 * With PEFT Lab's fused kernels (native CPU backend) the whole update is one
 * multi-tensor kernel over per-parameter moments, and the gradient norm another.
 * Elsewhere all parameters are updated as flat vectors: per-op dispatch dominates
 * small models (a per-parameter update was ~25 ops × every tensor), so the
 * moments live in flat variables and the math runs once over the concatenation.
 * Checkpoints see per-parameter moments either way (`moments()`).
 */
export class AdamW {
  /** Number of updates applied so far (bias correction uses t + 1). */
  t = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly wd: number;
  private readonly groups: ParamGroup[] = [];
  private readonly kernels: PeftKernels | null;

  constructor(readonly params: Map<string, tf.Variable>, opts: AdamWOptions = {}) {
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.eps = opts.epsilon ?? 1e-8;
    this.wd = opts.weightDecay ?? 0;
    const decays = opts.decays ?? ((_n, v) => v.rank >= 2);
    this.kernels = peftKernels();
    if (this.kernels) {
      this.groups.push(new KernelGroup(this.kernels, [...params.keys()], params, (n) => this.wd > 0 && decays(n, params.get(n)!)));
      return;
    }
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
    const groups = this.groups.map((g) => g.prepare(grads));
    const all = groups.flat();
    const norm = this.kernels
      ? (this.kernels.run('PeftLabGlobalNorm', all, { N: all.length })[0] as tf.Scalar)
      : tf.tidy(() => tf.addN(all.map((g) => g.square().sum())).sqrt() as tf.Scalar);
    return { groups, norm, dispose: () => tf.dispose([...all, norm]) };
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
  /** Per parameter group, its gradients as it takes them (one flat vector, or one per parameter). */
  groups: tf.Tensor[][];
  /** Global L2 norm over all of them. */
  norm: tf.Scalar;
  dispose(): void;
}

interface UpdateConstants { b1: number; b2: number; epsHat: number; stepSize: number; decay: number; gradScale: number }

/** Parameters updated together; moments kept as the group likes, read and written per parameter. */
interface ParamGroup {
  /** The gradients in the group's form (disposed by the caller); a missing one counts as zero. */
  prepare(grads: Map<string, tf.Tensor>): tf.Tensor[];
  update(g: tf.Tensor[], c: UpdateConstants): void;
  readMoments(mOut: Map<string, NamedArray>, vOut: Map<string, NamedArray>): Promise<void>;
  joinMoments(arrays: Map<string, NamedArray>, what: string): Float32Array;
  setMoments(m: Float32Array, v: Float32Array): void;
  dispose(): void;
}

/** Some parameters updated as one flat vector, with their moments as two flat variables. */
class FlatGroup implements ParamGroup {
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

  prepare(grads: Map<string, tf.Tensor>): tf.Tensor[] {
    return [tf.tidy(() => this.flat((n, i) => grads.get(n) ?? tf.zeros([this.sizes[i]])))];
  }

  update([g]: tf.Tensor[], c: UpdateConstants): void {
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
    return joinNamed(this.names, this.names.map((n) => this.params.get(n)!), arrays, what);
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

/**
 * Every parameter updated by one PeftLabAdamW kernel: per-parameter moments, no concatenation
 * or split. The kernel updates the variables' and moments' buffers in place (native/src/adamw.cc),
 * so each parameter first gets a buffer of its own: on tfjs-node a clone shares its source's
 * buffer (LoRA's trainable head copy starts as a clone of the frozen head, which must not move).
 */
class KernelGroup implements ParamGroup {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly decayFlags: tf.Tensor1D;
  private readonly vars: tf.Variable[];

  constructor(private readonly kernels: PeftKernels, private readonly names: string[], params: Map<string, tf.Variable>, decays: (name: string) => boolean) {
    this.vars = names.map((n) => params.get(n)!);
    for (const p of this.vars) tf.tidy(() => p.assign(kernels.run('PeftLabCopy', [p])[0]));
    this.m = this.vars.map((p) => tf.tidy(() => tf.variable(tf.zeros(p.shape), false)));
    this.v = this.vars.map((p) => tf.tidy(() => tf.variable(tf.zeros(p.shape), false)));
    this.decayFlags = tf.tensor1d(names.map((n) => (decays(n) ? 1 : 0)));
  }

  prepare(grads: Map<string, tf.Tensor>): tf.Tensor[] {
    // Clones share the buffer: the caller may dispose `grads` and these independently.
    return this.names.map((n, i) => (grads.has(n) ? grads.get(n)!.clone() : tf.zeros(this.vars[i].shape)));
  }

  update(g: tf.Tensor[], c: UpdateConstants): void {
    tf.tidy(() => {
      const hyper = tf.tensor1d([c.b1, c.b2, 1 - c.b1, 1 - c.b2, c.epsHat, c.stepSize, c.decay, c.gradScale]);
      const n = this.vars.length;
      this.kernels.run('PeftLabAdamW', [...this.vars, ...g, ...this.m, ...this.v, this.decayFlags, hyper], { N: n });
    });
  }

  async readMoments(mOut: Map<string, NamedArray>, vOut: Map<string, NamedArray>): Promise<void> {
    for (let i = 0; i < this.names.length; i++) {
      const shape = this.vars[i].shape.slice();
      mOut.set(this.names[i], { shape, data: (await this.m[i].data()) as Float32Array });
      vOut.set(this.names[i], { shape, data: (await this.v[i].data()) as Float32Array });
    }
  }

  joinMoments(arrays: Map<string, NamedArray>, what: string): Float32Array {
    return joinNamed(this.names, this.vars, arrays, what);
  }

  setMoments(m: Float32Array, v: Float32Array): void {
    let off = 0;
    tf.tidy(() => {
      this.vars.forEach((p, i) => {
        this.m[i].assign(tf.tensor(m.subarray(off, off + p.size), p.shape));
        this.v[i].assign(tf.tensor(v.subarray(off, off + p.size), p.shape));
        off += p.size;
      });
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v, this.decayFlags]);
  }
}

/** The named arrays of `names`, checked against the parameters' sizes, as one flat vector. */
function joinNamed(names: string[], params: tf.Variable[], arrays: Map<string, NamedArray>, what: string): Float32Array {
  const flat = new Float32Array(params.reduce((a, p) => a + p.size, 0));
  let off = 0;
  names.forEach((n, i) => {
    const a = arrays.get(n);
    if (!a) throw new CheckpointMismatchError(`${what}: checkpoint has no tensor "${n}"`);
    if (a.data.length !== params[i].size) throw new CheckpointMismatchError(`${what} "${n}": checkpoint shape [${a.shape}] != parameter shape [${params[i].shape}]`);
    flat.set(a.data, off);
    off += params[i].size;
  });
  return flat;
}

/** Global L2 norm of all gradients, as a scalar tensor (not read here). */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.addN([...grads].map((g) => g.square().sum())).sqrt() as tf.Scalar);
}
