import * as tf from '@tensorflow/tfjs';

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
 * Moments are keyed by the same names as the trainable map.
 */
export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** Number of updates applied so far (bias correction uses t + 1). */
  t = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly wd: number;
  private readonly decayed: Set<string>;

  constructor(readonly params: Map<string, tf.Variable>, opts: AdamWOptions = {}) {
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.eps = opts.epsilon ?? 1e-8;
    this.wd = opts.weightDecay ?? 0;
    const decays = opts.decays ?? ((_n, v) => v.rank >= 2);
    this.decayed = new Set([...params].filter(([n, v]) => decays(n, v)).map(([n]) => n));
    for (const [name, p] of params) {
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
  }

  /**
   * One update. `grads` keyed like `params`; `gradScale` multiplies every
   * gradient first (global-norm clipping computed by the caller, who already
   * read the norm together with the loss in one sync).
   */
  apply(grads: Map<string, tf.Tensor>, lr: number, gradScale = 1): void {
    this.t += 1;
    const bc1 = 1 - this.b1 ** this.t;
    const bc2 = 1 - this.b2 ** this.t;
    // Fold the bias corrections into the step size (Adam paper, sec. 2 end) so
    // each parameter needs fewer ops.
    const stepSize = (lr * Math.sqrt(bc2)) / bc1;
    const epsHat = this.eps * Math.sqrt(bc2);
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g0 = grads.get(name);
        if (!g0) continue;
        const g = gradScale === 1 ? g0 : g0.mul(gradScale);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const m1 = m.mul(this.b1).add(g.mul(1 - this.b1));
        const v1 = v.mul(this.b2).add(g.square().mul(1 - this.b2));
        m.assign(m1);
        v.assign(v1);
        let next = p.sub(m1.div(v1.sqrt().add(epsHat)).mul(stepSize));
        if (this.wd > 0 && this.decayed.has(name)) next = next.sub(p.mul(lr * this.wd));
        p.assign(next);
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/** Global L2 norm of all gradients, as a scalar tensor (not read here). */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.addN([...grads].map((g) => g.square().sum())).sqrt() as tf.Scalar);
}
