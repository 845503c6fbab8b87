/**
 * The engine's shared contracts. Models (`models/<family>/`) call the hooks;
 * PEFT methods (`peft/<method>/`) provide them; the training loop (`train/`)
 * only sees `TransformerModel` + `PeftAttachment`.
 *
 * Tensor shapes are written as `[batch, seq, dModel]`.
 */
import type * as tf from '@tensorflow/tfjs';
import type { MethodName } from './peft/declarations.js';

export type ModelFamily = 'gpt2' | 'bert' | 'llama' | 'qwen2' | 'qwen3' | 'mistral' | 'gemma' | 'phi3' | 'roberta' | 'distilbert';
export type HeadKind = 'causal-lm' | 'sequence-classification' | 'token-classification';
/** A registered method's name (`peft/declarations.ts` lists them). */
export type PeftMethodName = MethodName;

/**
 * Decoder sequence classification: 'last' scores the last non-padding token (transformers'
 * GPT2/LlamaForSequenceClassification); 'mean' scores the mean over non-padding tokens.
 * A causal decoder's last position is trained to predict the next token, so on truncated
 * text it mostly sees the last few words; the mean sees them all (on the built-in spam task
 * with 256 examples it lifts the pretrained base from below random init to above it).
 * Only 'last' is what transformers computes for an exported full model.
 */
export type SequencePooling = 'last' | 'mean';

/** Family-specific config.json keys renamed once at load (transformers.js `getNormalizedConfig` habit). */
export interface NormalizedConfig {
  family: ModelFamily;
  vocabSize: number;
  dModel: number;
  numLayers: number;
  numHeads: number;
  /** Grouped-query attention (Llama-shaped families); equals numHeads elsewhere. */
  numKvHeads: number;
  headDim: number;
  ffnDim: number;
  maxPositions: number;
  layerNormEps: number;
  /** Number of labels for classification heads; absent for causal LM. */
  numLabels?: number;
  /**
   * How a decoder's sequence-classification head reads the sequence (see SequencePooling);
   * absent means 'last', what transformers' *ForSequenceClassification computes.
   */
  pooling?: SequencePooling;
  /** Anything family-specific (rope theta, activation name, type vocab size…). */
  extra: Record<string, unknown>;
}

/** Model inputs, padded on the right. `attentionMask` is 1 for real tokens, 0 for padding. */
export interface ModelInputs {
  /** [batch, seq] int32 */
  inputIds: tf.Tensor2D;
  /** [batch, seq] int32 or float32 */
  attentionMask: tf.Tensor2D;
  /** [batch, seq] int32 (BERT and RoBERTa only) */
  tokenTypeIds?: tf.Tensor2D;
}

export interface Batch extends ModelInputs {
  /**
   * sequence-classification: [batch] int32.
   * token-classification and causal-lm: [batch, seq] int32, -100 = ignored position.
   * (For causal LM the labels are the input ids; the loss shifts them.)
   */
  labels: tf.Tensor;
}

/**
 * Points where a PEFT method changes the forward pass. A model calls each hook
 * that is present; absent hooks cost nothing. All hooks run inside the
 * caller's `tf.tidy`, so they must be synchronous.
 */
export interface ModelHooks {
  /**
   * After every linear projection `y = x·W + b` of a module named by its
   * Hugging Face path (e.g. `transformer.h.0.attn.c_attn`,
   * `model.layers.0.self_attn.q_proj`). LoRA returns `y + scale·(x·Aᵀ)·Bᵀ`.
   * x: [..., in], y: [..., out]. `training` is the forward pass's flag (LoRA dropout uses it).
   */
  linear?(moduleName: string, x: tf.Tensor, y: tf.Tensor, training?: boolean): tf.Tensor;
  /**
   * Whether `linear` may change module `moduleName`'s output (absent: assume it may). Where it
   * does not, the model fuses that linear's bias into the next kernel (GELU) or the LM head
   * into the loss, as it does without hooks.
   */
  linearTouches?(moduleName: string): boolean;
  /** Output of layer `layer`'s attention sub-block (before the residual add). [batch, seq, dModel] */
  afterAttention?(layer: number, h: tf.Tensor, training?: boolean): tf.Tensor;
  /** Output of layer `layer`'s feed-forward sub-block (before the residual add). [batch, seq, dModel] */
  afterFfn?(layer: number, h: tf.Tensor, training?: boolean): tf.Tensor;
  /**
   * Key/value prefixes for layer `layer`, each [batch, numKvHeads, prefixLen, headDim],
   * prepended to the keys and values (after rotary, which prefixes do not get).
   * The model extends the attention mask with ones for them.
   */
  attentionPrefix?(layer: number, batchSize: number): { key: tf.Tensor; value: tf.Tensor };
  /**
   * Token embeddings (after lookup, before positions are added) [batch, seq, dModel]
   * → [batch, promptLen + seq, dModel]. The model extends the mask with ones and
   * drops the prompt positions from token-level outputs so logits keep [batch, seq, …].
   */
  inputEmbeddings?(embeds: tf.Tensor): tf.Tensor;
  /**
   * The trainable variables the hooks read inside transformer layer `layer` (module path
   * prefix `layerPrefix`, e.g. `transformer.h.3.`): gradient checkpointing recomputes a layer
   * in the backward pass and must hand its gradient to exactly these. Hooks that read
   * variables inside layers implement it (LoRA, adapters, prefix tuning).
   */
  layerVariables?(layer: number, layerPrefix: string): tf.Variable[];
}

export interface TransformerModel {
  readonly config: NormalizedConfig;
  readonly head: HeadKind;
  /**
   * Every base weight, keyed by its Hugging Face name (as in model.safetensors).
   * Linear weights are held as [in, out] (GPT-2's Conv1D layout) so the forward
   * pass is a plain matMul: nn.Linear's [out, in] is transposed at load and save.
   */
  readonly weights: Map<string, tf.Variable>;
  /**
   * Weights lent by a FrozenWeightCache (`hf/frozen-weights.ts`), shared with other models of
   * the same checkpoint: nothing may train or write them, and dispose() gives them back.
   */
  readonly borrowed?: ReadonlySet<tf.Variable>;
  /** The active PEFT attachment's hooks; null = plain base model. */
  hooks: ModelHooks | null;
  /**
   * Activation (gradient) checkpointing per transformer layer while training: each layer
   * keeps only its input and is recomputed in the backward pass (less memory, ~⅓ more compute).
   */
  gradientCheckpointing: boolean;
  /**
   * causal-lm: [batch, seq, vocab]; sequence-classification: [batch, numLabels];
   * token-classification: [batch, seq, numLabels]. Synchronous; call inside tf.tidy.
   */
  forward(inputs: ModelInputs, opts: { training: boolean }): tf.Tensor;
  /**
   * Causal LM only: final hidden states [batch·seq, dModel] and the bare LM-head weight
   * ([vocab, d] when `vocabMajor`, else [d, vocab]), for the fused head + loss of training;
   * null where the head is not a plain product.
   */
  forwardHidden?(inputs: ModelInputs, opts: { training: boolean }): { hidden: tf.Tensor2D; head: { weight: tf.Tensor2D; vocabMajor: boolean } } | null;
  /**
   * Causal-LM logits [batch, seq, vocab] through the base LM head whatever `head` is, hooks
   * applied; null when this model holds no LM head (a BERT-like, an untied head not loaded
   * for a task head). Absent: only a causal-lm model's `forward` gives them. Call inside tf.tidy.
   */
  languageModelLogits?(inputs: ModelInputs): tf.Tensor3D | null;
  /** Names of the linear modules LoRA may target, by short name (`c_attn`, `q_proj`, …). */
  linearModules(): { name: string; shortName: string; inFeatures: number; outFeatures: number }[];
  dispose(): void;
}

/** What a PEFT method attached to a model. Keyed by adapter name like peft's layers. */
export interface PeftAttachment {
  readonly method: PeftMethodName;
  readonly adapterName: string;
  readonly config: Record<string, unknown>;
  readonly hooks: ModelHooks;
  /** Variables the optimiser updates, keyed by their saved (PEFT-format where one exists) names. */
  readonly trainable: Map<string, tf.Variable>;
  /** Bytes of what must be stored for this task (adapter file, or the full checkpoint for full FT). */
  storedBytes(): number;
  /** Zero-latency inference where the method allows it (LoRA); unmerge restores the base weights. */
  merge?(): void;
  unmerge?(): void;
  dispose(): void;
}
