/**
 * What the three families share: the weight map, the hooks, soft-prompt
 * handling and the task heads. A family supplies its weight list, its token
 * embedding and its encoder body (embeddings → layers → final norm).
 */
import * as tf from '@tensorflow/tfjs';
import type { FrozenWeightLease } from '../../hf/frozen-weights.js';
import type { HeadKind, ModelHooks, ModelInputs, NormalizedConfig, TransformerModel } from '../../types.js';
import type { LmHeadWeight } from '../../train/lm-head-loss.js';
import { activation, biasActivation, dense, denseTransposed, dropout, embeddingLookup } from './ops.js';
import { installNativeShortcuts } from './native-shortcuts.js';
import { peftKernels } from '../../native/kernels.js';
import { checkpointedLayer } from './checkpointed-layer.js';

export type WeightInit = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

/** One base or head weight. `shape` is the engine's layout; linear weights are [in, out]. */
export interface WeightSpec {
  name: string;
  shape: number[];
  init: WeightInit;
  /** nn.Linear stores [out, in] in checkpoints: transpose at load and save. */
  transposedInCheckpoint: boolean;
  /** Head weights may be absent from a checkpoint trained with another head (random init, as transformers does). */
  role: 'base' | 'head';
}

export interface LinearModuleInfo {
  name: string;
  shortName: string;
  inFeatures: number;
  outFeatures: number;
}

/** Shape of a spec as it appears in a Hugging Face checkpoint. */
export function checkpointShape(spec: WeightSpec): number[] {
  return spec.transposedInCheckpoint ? [...spec.shape].reverse() : spec.shape;
}

export function linearSpecs(name: string, inF: number, outF: number, opts: { bias: boolean; std: number; conv1d?: boolean; role?: 'base' | 'head' }): WeightSpec[] {
  const role = opts.role ?? 'base';
  const specs: WeightSpec[] = [
    { name: `${name}.weight`, shape: [inF, outF], init: { kind: 'normal', std: opts.std }, transposedInCheckpoint: !opts.conv1d, role },
  ];
  if (opts.bias) specs.push({ name: `${name}.bias`, shape: [outF], init: { kind: 'zeros' }, transposedInCheckpoint: false, role });
  return specs;
}

export function normSpecs(name: string, d: number, bias: boolean): WeightSpec[] {
  const specs: WeightSpec[] = [{ name: `${name}.weight`, shape: [d], init: { kind: 'ones' }, transposedInCheckpoint: false, role: 'base' }];
  if (bias) specs.push({ name: `${name}.bias`, shape: [d], init: { kind: 'zeros' }, transposedInCheckpoint: false, role: 'base' });
  return specs;
}

/** What the family body receives. */
export interface EncodeInputs {
  /** [batch, len, dModel], len = promptLen + seq */
  embeds: tf.Tensor3D;
  /** [batch, len] float, 1 = real token */
  mask: tf.Tensor2D;
  /** [batch, len] int32 (BERT), zeros over the prompt */
  tokenTypeIds?: tf.Tensor2D;
  training: boolean;
}

export abstract class TransformerBase implements TransformerModel {
  hooks: ModelHooks | null = null;
  gradientCheckpointing = false;
  /** The running forward pass's flag, handed to hooks (set synchronously at the start of forward). */
  protected training = false;
  readonly weights = new Map<string, tf.Variable>();
  readonly borrowed = new Set<tf.Variable>();
  private lease: FrozenWeightLease | null = null;

  constructor(readonly config: NormalizedConfig, readonly head: HeadKind) {}

  /** Every base and head weight of this config and head. */
  abstract weightSpecs(): WeightSpec[];
  abstract linearModules(): LinearModuleInfo[];
  /** HF name of the token embedding table [vocab, dModel]. */
  protected abstract readonly tokenEmbeddingName: string;
  /** Embeddings → layers → final norm. Returns [batch·len, dModel]. */
  protected abstract encode(inputs: EncodeInputs): tf.Tensor2D;
  /** The head's output projection for hidden states [n, dModel] → [n, out]. */
  protected abstract headProjection(hidden: tf.Tensor2D): tf.Tensor2D;
  /** Pools the token states [batch, seq, dModel] → [batch, dModel] for sequence classification. */
  protected abstract poolSequence(tokens: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D;

  w(name: string): tf.Variable {
    const v = this.weights.get(name);
    if (!v) throw new Error(`weight ${name} is not in the model`);
    return v;
  }

  /** Linear module `name` ([in, out] weight, optional bias) through `hooks.linear`. x: [n, in]. */
  protected linear(name: string, x: tf.Tensor2D, bias = true): tf.Tensor2D {
    const y = dense(x, this.w(`${name}.weight`) as tf.Tensor2D, bias ? (this.w(`${name}.bias`) as tf.Tensor1D) : undefined);
    return this.hooks?.linear ? (this.hooks.linear(name, x, y, this.training) as tf.Tensor2D) : y;
  }

  /**
   * `act(linear(name, x))` (the MLP's up projection). Where no hook changes this module (none,
   * or LoRA on other modules or merged) the bias add joins the activation's fused kernel; a
   * hook that does (LoRA on it, a saved head) sees the whole linear output, bias included.
   */
  protected linearActivation(name: string, x: tf.Tensor2D, act: string): tf.Tensor2D {
    if (this.hookTouches(name) || !peftKernels()) return activation(act, this.linear(name, x)) as tf.Tensor2D;
    return biasActivation(act, dense(x, this.w(`${name}.weight`) as tf.Tensor2D), this.w(`${name}.bias`) as tf.Tensor1D);
  }

  /** Whether the active hooks may change linear module `name`'s output. */
  protected hookTouches(name: string): boolean {
    const hooks = this.hooks;
    return !!hooks?.linear && (hooks.linearTouches?.(name) ?? true);
  }

  /**
   * Several linears over the same input as one matMul (QKV, gate+up): weights
   * are concatenated on the output axis, then the result is split and each part
   * passed through `hooks.linear` under its own module name.
   */
  protected fusedLinear(names: string[], x: tf.Tensor2D, bias: boolean): tf.Tensor2D[] {
    const ws = names.map((n) => this.w(`${n}.weight`) as tf.Tensor2D);
    const sizes = ws.map((w) => w.shape[1]);
    const w = tf.concat(ws, 1);
    const b = bias ? tf.concat(names.map((n) => this.w(`${n}.bias`) as tf.Tensor1D)) : undefined;
    const y = dense(x, w, b);
    const parts = tf.split(y, sizes, 1) as tf.Tensor2D[];
    const hook = this.hooks?.linear;
    return hook ? parts.map((p, i) => hook(names[i], x, p, this.training) as tf.Tensor2D) : parts;
  }

  /**
   * Runs transformer layer `layer` (weights under `prefix`, e.g. `transformer.h.3.`) in its own
   * tidy scope: its intermediates that the backward pass does not save (saved tensors are kept
   * apart by the tape) are freed when the layer ends, instead of all living until the end of
   * the forward pass, where the step's memory peaks. With `gradientCheckpointing` while
   * training the layer keeps only its input (checkpointed-layer.ts). `context`: the tensors
   * from outside the layer its body reads (the attention bias, the mask), passed in rather
   * than closed over so a recomputation sees live copies.
   */
  protected layerScope<C extends tf.Tensor[]>(h: tf.Tensor2D, layer: number, prefix: string, context: C, body: (h: tf.Tensor2D, context: C) => tf.Tensor2D): tf.Tensor2D {
    if (this.gradientCheckpointing && this.training) {
      const weights = [...this.weights].filter(([n, v]) => n.startsWith(prefix) && v.trainable).map(([, v]) => v);
      const fromHooks = this.hooks?.layerVariables?.(layer, prefix) ?? [];
      return checkpointedLayer(h, context, [...new Set([...weights, ...fromHooks.filter((v) => v.trainable)])], body);
    }
    return tf.tidy(() => body(h, context));
  }

  protected dropout(x: tf.Tensor2D, rate: number, training: boolean): tf.Tensor2D {
    return training && rate > 0 ? dropout(x, rate) : x;
  }

  protected embedTokens(ids: tf.Tensor2D): tf.Tensor3D {
    return embeddingLookup(this.w(this.tokenEmbeddingName) as tf.Tensor2D, ids) as tf.Tensor3D;
  }

  forward(inputs: ModelInputs, opts: { training: boolean }): tf.Tensor {
    const { tokens, realMask } = this.tokenStates(inputs, opts);
    if (this.head === 'sequence-classification') {
      return this.headProjection(this.poolSequence(tokens, realMask));
    }
    const [batch, seq, d] = tokens.shape;
    const out = this.headProjection(tokens.reshape([batch * seq, d]) as tf.Tensor2D);
    return out.reshape([batch, seq, out.shape[1]]);
  }

  /**
   * Causal LM: the final hidden states [batch·seq, dModel] (what `forward` projects to logits)
   * and the LM head weight, for a loss that fuses the head with the cross-entropy
   * (train/lm-head-loss.ts). Null when the head is not a plain product a hook cannot change.
   */
  forwardHidden(inputs: ModelInputs, opts: { training: boolean }): { hidden: tf.Tensor2D; head: LmHeadWeight } | null {
    const head = this.head === 'causal-lm' ? this.lmHeadWeight() : null;
    if (!head) return null;
    const { tokens } = this.tokenStates(inputs, opts);
    const [batch, seq, d] = tokens.shape;
    return { hidden: tokens.reshape([batch * seq, d]) as tf.Tensor2D, head };
  }

  /**
   * Causal-LM logits [batch, seq, vocab] through the base model's LM head whatever task head
   * this model carries, hooks applied (forgetting is measured through it). A task-head model
   * holds an LM head only where it is the tied embedding table (`hasTiedLmHead`); elsewhere
   * (BERT-likes, whose MLM head is not loaded; an untied `lm_head`, loaded with causal-lm only)
   * this returns null. Synchronous; call inside tf.tidy.
   */
  languageModelLogits(inputs: ModelInputs): tf.Tensor3D | null {
    if (this.head === 'causal-lm') return this.forward(inputs, { training: false }) as tf.Tensor3D;
    if (!this.hasTiedLmHead()) return null;
    const { tokens } = this.tokenStates(inputs, { training: false });
    const [batch, seq, d] = tokens.shape;
    return this.tiedLmHead(tokens.reshape([batch * seq, d]) as tf.Tensor2D).reshape([batch, seq, this.config.vocabSize]) as tf.Tensor3D;
  }

  /** Whether the LM head is the token embedding table (so a task-head model still has it). Default false. */
  protected hasTiedLmHead(): boolean {
    return false;
  }

  /** The causal-LM head as a bare weight, or null (the default) when the family's head goes through hooks. */
  protected lmHeadWeight(): LmHeadWeight | null {
    return null;
  }

  /** Embeddings (+ soft prompt) → body → token states [batch, seq, dModel], the prompt's positions dropped. */
  private tokenStates(inputs: ModelInputs, opts: { training: boolean }): { tokens: tf.Tensor3D; realMask: tf.Tensor2D } {
    const [batch, seq] = inputs.inputIds.shape;
    const d = this.config.dModel;
    this.training = opts.training;
    installNativeShortcuts();
    const ids = inputs.inputIds.dtype === 'int32' ? inputs.inputIds : tf.cast(inputs.inputIds, 'int32');
    const realMask: tf.Tensor2D = inputs.attentionMask.dtype === 'float32' ? inputs.attentionMask : tf.cast(inputs.attentionMask, 'float32');
    let embeds = this.embedTokens(ids);
    let mask = realMask as tf.Tensor2D;
    let tokenTypeIds = inputs.tokenTypeIds;
    let promptLen = 0;
    if (this.hooks?.inputEmbeddings) {
      embeds = this.hooks.inputEmbeddings(embeds) as tf.Tensor3D;
      promptLen = embeds.shape[1] - seq;
      if (promptLen > 0) {
        mask = tf.concat([tf.ones([batch, promptLen]) as tf.Tensor2D, realMask], 1);
        if (tokenTypeIds) tokenTypeIds = tf.concat([tf.zeros([batch, promptLen], 'int32') as tf.Tensor2D, tokenTypeIds], 1);
      }
    }
    const hidden = this.encode({ embeds, mask, tokenTypeIds, training: opts.training });
    let tokens = hidden.reshape([batch, promptLen + seq, d]) as tf.Tensor3D;
    // Token-level outputs keep [batch, seq, …]: the soft prompt's positions are dropped.
    if (promptLen > 0) tokens = tf.slice(tokens, [0, promptLen, 0], [batch, seq, d]);
    return { tokens, realMask };
  }

  /** Decoder pooling: the last non-padding token (as transformers), or the mean over them (config.pooling). */
  protected decoderPool(tokens: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
    if (this.config.pooling === 'mean') {
      const weights = mask.cast('float32').expandDims(2);
      return tf.div(tf.sum(tf.mul(tokens, weights), 1), tf.maximum(tf.sum(weights, 1), 1)) as tf.Tensor2D;
    }
    const [batch, seq] = mask.shape;
    // tf.oneHot refuses depth 1 (a one-token input): the only token is the last one
    if (seq === 1) return tokens.reshape([batch, tokens.shape[2]]) as tf.Tensor2D;
    const last = tf.maximum(tf.sub(tf.sum(mask, 1), 1), 0).cast('int32');
    // A one-hot weighted sum instead of gather: differentiable on every backend.
    const pick = tf.oneHot(last, seq).cast('float32').expandDims(2);
    return tf.sum(tf.mul(tokens, pick), 1) as tf.Tensor2D;
  }

  /** LM logits against the (tied) embedding table [vocab, dModel]. */
  protected tiedLmHead(hidden: tf.Tensor2D): tf.Tensor2D {
    return denseTransposed(hidden, this.w(this.tokenEmbeddingName) as tf.Tensor2D);
  }

  /** Makes the model hold `lease` (its borrowed weights come from it) until dispose. */
  holdLease(lease: FrozenWeightLease): void {
    this.lease = lease;
  }

  dispose(): void {
    for (const v of this.weights.values()) if (!this.borrowed.has(v)) v.dispose();
    this.weights.clear();
    this.borrowed.clear();
    this.lease?.release();
    this.lease = null;
  }
}
