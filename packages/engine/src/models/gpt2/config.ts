/** GPT-2 config.json ⇄ NormalizedConfig. */
import { UnsupportedConfigError } from '../../errors.js';
import type { HeadKind, NormalizedConfig } from '../../types.js';

const ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'gelu', 'relu'];

export function normalizeGpt2Config(raw: Record<string, any>): NormalizedConfig {
  const act = raw.activation_function ?? 'gelu_new';
  if (!ACTIVATIONS.includes(act)) throw new UnsupportedConfigError('activation_function', act, `supported: ${ACTIVATIONS.join(', ')}`);
  if (raw.scale_attn_by_inverse_layer_idx) throw new UnsupportedConfigError('scale_attn_by_inverse_layer_idx', raw.scale_attn_by_inverse_layer_idx);
  if (raw.scale_attn_weights === false) throw new UnsupportedConfigError('scale_attn_weights', false);
  if (raw.add_cross_attention) throw new UnsupportedConfigError('add_cross_attention', raw.add_cross_attention);
  if (raw.tie_word_embeddings === false) throw new UnsupportedConfigError('tie_word_embeddings', false, 'GPT-2 ties lm_head to wte');
  const dModel = raw.n_embd ?? 768;
  const numHeads = raw.n_head ?? 12;
  if (dModel % numHeads !== 0) throw new UnsupportedConfigError('n_head', numHeads, `must divide n_embd=${dModel}`);
  return {
    family: 'gpt2',
    vocabSize: raw.vocab_size ?? 50257,
    dModel,
    numLayers: raw.n_layer ?? 12,
    numHeads,
    numKvHeads: numHeads,
    headDim: dModel / numHeads,
    ffnDim: raw.n_inner ?? 4 * dModel,
    maxPositions: raw.n_positions ?? 1024,
    layerNormEps: raw.layer_norm_epsilon ?? 1e-5,
    numLabels: labelCount(raw),
    extra: {
      activation: act,
      hiddenDropout: raw.resid_pdrop ?? 0.1,
      embeddingDropout: raw.embd_pdrop ?? 0.1,
      attentionDropout: raw.attn_pdrop ?? 0.1,
      initializerRange: raw.initializer_range ?? 0.02,
      bosTokenId: raw.bos_token_id ?? 50256,
      eosTokenId: raw.eos_token_id ?? 50256,
      padTokenId: raw.pad_token_id ?? null,
    },
  };
}

export function labelCount(raw: Record<string, any>): number | undefined {
  if (typeof raw.num_labels === 'number') return raw.num_labels;
  if (raw.id2label && typeof raw.id2label === 'object') return Object.keys(raw.id2label).length;
  return undefined;
}

export function gpt2HfConfig(c: NormalizedConfig): Record<string, unknown> {
  const x = c.extra;
  return {
    model_type: 'gpt2',
    activation_function: x.activation ?? 'gelu_new',
    vocab_size: c.vocabSize,
    n_embd: c.dModel,
    n_layer: c.numLayers,
    n_head: c.numHeads,
    n_inner: c.ffnDim,
    n_positions: c.maxPositions,
    layer_norm_epsilon: c.layerNormEps,
    resid_pdrop: x.hiddenDropout ?? 0.1,
    embd_pdrop: x.embeddingDropout ?? 0.1,
    attn_pdrop: x.attentionDropout ?? 0.1,
    initializer_range: x.initializerRange ?? 0.02,
    bos_token_id: x.bosTokenId ?? 50256,
    eos_token_id: x.eosTokenId ?? 50256,
    pad_token_id: x.padTokenId ?? null,
    scale_attn_weights: true,
    tie_word_embeddings: true,
  };
}

export const GPT2_ARCHITECTURES: Record<HeadKind, string> = {
  'causal-lm': 'GPT2LMHeadModel',
  'sequence-classification': 'GPT2ForSequenceClassification',
  'token-classification': 'GPT2ForTokenClassification',
};
