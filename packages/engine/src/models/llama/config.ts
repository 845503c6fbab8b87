/**
 * Llama config.json ⇄ NormalizedConfig, and the decoder keys the Llama-shaped families share
 * (qwen2, qwen3, mistral, gemma, phi3): each family's config.ts calls `normalizeDecoderConfig`
 * with its defaults and turns on its switches in `extra` (see `DecoderSwitches`), which
 * LlamaModel reads.
 */
import { UnsupportedConfigError } from '../../errors.js';
import type { HeadKind, ModelFamily, NormalizedConfig } from '../../types.js';
import { labelCount } from '../gpt2/config.js';

/** The switches in `NormalizedConfig.extra` that LlamaModel reads (absent = Llama's behaviour). */
export interface DecoderSwitches {
  ropeTheta: number;
  /** Rotary on the first `rotaryDim` dims of each head (Phi-3's partial_rotary_factor); default headDim. */
  rotaryDim?: number;
  tieWordEmbeddings: boolean;
  /** Biases on q, k and v (Qwen2). */
  qkvBias?: boolean;
  /** Per-head RMSNorm on queries and keys before rotary (Qwen3's q_norm / k_norm). */
  qkNorm?: boolean;
  /** RMSNorm weight used as (offset + w): 1 for Gemma. */
  normOffset?: number;
  /** Token embeddings multiplied by this (Gemma: √dModel in the model dtype). */
  embedScale?: number;
  /** The gated MLP's gate activation: 'silu' (SwiGLU) or 'gelu_tanh' (GeGLU). */
  gluActivation?: 'silu' | 'gelu_tanh';
  /** Keys further back than this many positions are masked (Mistral); null = full causal attention. */
  slidingWindow?: number | null;
  /** Per layer 'full_attention' | 'sliding_attention' (Qwen2/3); absent = every layer uses slidingWindow. */
  layerTypes?: string[];
  /** Dropout on the attention and MLP outputs (Phi-3 resid_pdrop) and on the embeddings (embd_pdrop). */
  hiddenDropout?: number;
  embeddingDropout?: number;
}

/** What differs between the families before their own checks. */
export interface DecoderDefaults {
  family: ModelFamily;
  /** hidden_act values → the GLU gate activation. */
  activations: Record<string, 'silu' | 'gelu_tanh'>;
  defaultActivation: string;
  /** head_dim when config.json has none (null: hidden_size / heads). */
  defaultHeadDim: number | null;
  defaultTie: boolean;
  defaultEps: number;
}

/** The rope settings of a config (transformers ≥5 nests them in rope_parameters; older configs use rope_theta / rope_scaling). */
export function ropeSettings(raw: Record<string, any>): Record<string, any> {
  const rope = (raw.rope_parameters ?? {}) as Record<string, any>;
  const ropeType = rope.rope_type ?? raw.rope_scaling?.rope_type ?? raw.rope_scaling?.type ?? 'default';
  if (ropeType !== 'default') throw new UnsupportedConfigError('rope_type', ropeType, 'supported: default');
  return { ...rope, rope_theta: rope.rope_theta ?? raw.rope_theta ?? 10000 };
}

export function normalizeDecoderConfig(raw: Record<string, any>, defaults: DecoderDefaults): NormalizedConfig {
  const act = raw.hidden_act ?? defaults.defaultActivation;
  const glu = defaults.activations[act];
  if (!glu) throw new UnsupportedConfigError('hidden_act', act, `supported: ${Object.keys(defaults.activations).join(', ')}`);
  const rope = ropeSettings(raw);
  if (raw.mlp_bias) throw new UnsupportedConfigError('mlp_bias', raw.mlp_bias, 'supported: false');
  if (raw.pretraining_tp && raw.pretraining_tp !== 1) throw new UnsupportedConfigError('pretraining_tp', raw.pretraining_tp, 'supported: 1');
  const dModel = raw.hidden_size ?? 4096;
  const numHeads = raw.num_attention_heads ?? 32;
  const numKvHeads = raw.num_key_value_heads ?? numHeads;
  if (numHeads % numKvHeads !== 0) throw new UnsupportedConfigError('num_key_value_heads', numKvHeads, `must divide num_attention_heads=${numHeads}`);
  const headDim = raw.head_dim ?? defaults.defaultHeadDim ?? dModel / numHeads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new UnsupportedConfigError('head_dim', headDim, 'must be an even integer');
  const switches: DecoderSwitches = {
    ropeTheta: rope.rope_theta,
    tieWordEmbeddings: raw.tie_word_embeddings ?? defaults.defaultTie,
    gluActivation: glu,
  };
  return {
    family: defaults.family,
    vocabSize: raw.vocab_size ?? 32000,
    dModel,
    numLayers: raw.num_hidden_layers ?? 32,
    numHeads,
    numKvHeads,
    headDim,
    ffnDim: raw.intermediate_size ?? 11008,
    maxPositions: raw.max_position_embeddings ?? 2048,
    layerNormEps: raw.rms_norm_eps ?? defaults.defaultEps,
    numLabels: labelCount(raw),
    extra: {
      ...switches,
      activation: act,
      attentionDropout: raw.attention_dropout ?? 0,
      initializerRange: raw.initializer_range ?? 0.02,
      bosTokenId: raw.bos_token_id ?? null,
      eosTokenId: raw.eos_token_id ?? null,
      padTokenId: raw.pad_token_id ?? null,
    },
  };
}

/** A sliding window from config.json (a positive integer, or null/absent for none). */
export function slidingWindowOf(raw: Record<string, any>, key = 'sliding_window'): number | null {
  const w = raw[key];
  if (w === null || w === undefined) return null;
  if (!Number.isInteger(w) || w < 1) throw new UnsupportedConfigError(key, w, 'must be a positive integer or null');
  return w;
}

/** Qwen2/Qwen3 layer_types: given, or as transformers derives them (sliding from max_window_layers on, when use_sliding_window). */
export function qwenLayerTypes(raw: Record<string, any>, numLayers: number, window: number | null): string[] {
  const given = raw.layer_types;
  if (Array.isArray(given)) {
    if (given.length !== numLayers) throw new UnsupportedConfigError('layer_types', given, `expected ${numLayers} entries`);
    for (const t of given) {
      if (t !== 'full_attention' && t !== 'sliding_attention') throw new UnsupportedConfigError('layer_types', t, 'supported: full_attention, sliding_attention');
    }
    if (given.includes('sliding_attention') && window === null) throw new UnsupportedConfigError('layer_types', 'sliding_attention', 'needs use_sliding_window and sliding_window');
    return given;
  }
  const from = raw.max_window_layers ?? 28;
  return Array.from({ length: numLayers }, (_, i) => (window !== null && i >= from ? 'sliding_attention' : 'full_attention'));
}

/** The config.json keys every Llama-shaped family writes (transformers reads them back). */
export function decoderHfConfig(c: NormalizedConfig, modelType: string): Record<string, unknown> {
  const x = c.extra;
  return {
    model_type: modelType,
    hidden_act: x.activation ?? 'silu',
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    intermediate_size: c.ffnDim,
    max_position_embeddings: c.maxPositions,
    rms_norm_eps: c.layerNormEps,
    rope_parameters: { rope_theta: x.ropeTheta ?? 10000, rope_type: 'default' },
    rope_theta: x.ropeTheta ?? 10000,
    tie_word_embeddings: x.tieWordEmbeddings ?? false,
    attention_dropout: x.attentionDropout ?? 0,
    initializer_range: x.initializerRange ?? 0.02,
    bos_token_id: x.bosTokenId ?? null,
    eos_token_id: x.eosTokenId ?? null,
    pad_token_id: x.padTokenId ?? null,
  };
}

/** transformers' class names for a Llama-shaped family (Llama, Qwen2, Mistral… ForCausalLM / ForSequenceClassification / ForTokenClassification). */
export function decoderArchitectures(prefix: string): Record<HeadKind, string> {
  return {
    'causal-lm': `${prefix}ForCausalLM`,
    'sequence-classification': `${prefix}ForSequenceClassification`,
    'token-classification': `${prefix}ForTokenClassification`,
  };
}

export function normalizeLlamaConfig(raw: Record<string, any>): NormalizedConfig {
  if (raw.attention_bias) throw new UnsupportedConfigError('attention_bias', raw.attention_bias, 'supported: false');
  const config = normalizeDecoderConfig(raw, {
    family: 'llama', activations: { silu: 'silu' }, defaultActivation: 'silu', defaultHeadDim: null, defaultTie: false, defaultEps: 1e-6,
  });
  config.extra.bosTokenId = raw.bos_token_id ?? 1;
  config.extra.eosTokenId = raw.eos_token_id ?? 2;
  return config;
}

export function llamaHfConfig(c: NormalizedConfig): Record<string, unknown> {
  return {
    ...decoderHfConfig(c, 'llama'),
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    bos_token_id: c.extra.bosTokenId ?? 1,
    eos_token_id: c.extra.eosTokenId ?? 2,
  };
}

export const LLAMA_ARCHITECTURES: Record<HeadKind, string> = decoderArchitectures('Llama');
