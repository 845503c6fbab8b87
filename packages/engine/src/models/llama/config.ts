/** Llama config.json ⇄ NormalizedConfig. */
import { UnsupportedConfigError } from '../../errors.js';
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { labelCount } from '../gpt2/config.js';

export function normalizeLlamaConfig(raw: Record<string, any>): NormalizedConfig {
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu') throw new UnsupportedConfigError('hidden_act', act, 'supported: silu');
  // transformers ≥5 nests rope settings in rope_parameters; older configs use rope_theta / rope_scaling.
  const rope = (raw.rope_parameters ?? {}) as Record<string, any>;
  const ropeType = rope.rope_type ?? raw.rope_scaling?.rope_type ?? raw.rope_scaling?.type ?? 'default';
  if (ropeType !== 'default') throw new UnsupportedConfigError('rope_type', ropeType, 'supported: default');
  if (raw.attention_bias) throw new UnsupportedConfigError('attention_bias', raw.attention_bias, 'supported: false');
  if (raw.mlp_bias) throw new UnsupportedConfigError('mlp_bias', raw.mlp_bias, 'supported: false');
  if (raw.pretraining_tp && raw.pretraining_tp !== 1) throw new UnsupportedConfigError('pretraining_tp', raw.pretraining_tp, 'supported: 1');
  const dModel = raw.hidden_size ?? 4096;
  const numHeads = raw.num_attention_heads ?? 32;
  const numKvHeads = raw.num_key_value_heads ?? numHeads;
  if (numHeads % numKvHeads !== 0) throw new UnsupportedConfigError('num_key_value_heads', numKvHeads, `must divide num_attention_heads=${numHeads}`);
  const headDim = raw.head_dim ?? dModel / numHeads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new UnsupportedConfigError('head_dim', headDim, 'must be an even integer');
  return {
    family: 'llama',
    vocabSize: raw.vocab_size ?? 32000,
    dModel,
    numLayers: raw.num_hidden_layers ?? 32,
    numHeads,
    numKvHeads,
    headDim,
    ffnDim: raw.intermediate_size ?? 11008,
    maxPositions: raw.max_position_embeddings ?? 2048,
    layerNormEps: raw.rms_norm_eps ?? 1e-6,
    numLabels: labelCount(raw),
    extra: {
      ropeTheta: rope.rope_theta ?? raw.rope_theta ?? 10000,
      tieWordEmbeddings: raw.tie_word_embeddings ?? false,
      attentionDropout: raw.attention_dropout ?? 0,
      initializerRange: raw.initializer_range ?? 0.02,
      bosTokenId: raw.bos_token_id ?? 1,
      eosTokenId: raw.eos_token_id ?? 2,
      padTokenId: raw.pad_token_id ?? null,
    },
  };
}

export function llamaHfConfig(c: NormalizedConfig): Record<string, unknown> {
  const x = c.extra;
  return {
    model_type: 'llama',
    hidden_act: 'silu',
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
    attention_bias: false,
    mlp_bias: false,
    attention_dropout: x.attentionDropout ?? 0,
    initializer_range: x.initializerRange ?? 0.02,
    bos_token_id: x.bosTokenId ?? 1,
    eos_token_id: x.eosTokenId ?? 2,
    pad_token_id: x.padTokenId ?? null,
  };
}

export const LLAMA_ARCHITECTURES: Record<HeadKind, string> = {
  'causal-lm': 'LlamaForCausalLM',
  'sequence-classification': 'LlamaForSequenceClassification',
  'token-classification': 'LlamaForTokenClassification',
};
