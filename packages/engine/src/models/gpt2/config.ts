/** GPT-2 config.json ⇄ NormalizedConfig. */
import { UnsupportedConfigError } from '../../errors.js';
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { hfConfigWithKeys, normalizeWithKeys, type HfConfigKeys } from '../shared/hf-config-keys.js';

export { labelCount } from '../shared/hf-config-keys.js';

const GPT2_KEYS: HfConfigKeys = {
  family: 'gpt2',
  activation: { key: 'activation_function', dflt: 'gelu_new', supported: ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'gelu', 'relu'] },
  vocabSize: ['vocab_size', 50257],
  dModel: ['n_embd', 768],
  numLayers: ['n_layer', 12],
  numHeads: ['n_head', 12],
  ffnDim: ['n_inner', (dModel) => 4 * dModel],
  maxPositions: ['n_positions', 1024],
  layerNormEps: ['layer_norm_epsilon', 1e-5],
  extra: {
    hiddenDropout: ['resid_pdrop', 0.1],
    embeddingDropout: ['embd_pdrop', 0.1],
    attentionDropout: ['attn_pdrop', 0.1],
    initializerRange: ['initializer_range', 0.02],
    bosTokenId: ['bos_token_id', 50256],
    eosTokenId: ['eos_token_id', 50256],
    padTokenId: ['pad_token_id', null],
  },
  rejectUnsupported: (raw) => {
    if (raw.scale_attn_by_inverse_layer_idx) throw new UnsupportedConfigError('scale_attn_by_inverse_layer_idx', raw.scale_attn_by_inverse_layer_idx);
    if (raw.scale_attn_weights === false) throw new UnsupportedConfigError('scale_attn_weights', false);
    if (raw.add_cross_attention) throw new UnsupportedConfigError('add_cross_attention', raw.add_cross_attention);
    if (raw.tie_word_embeddings === false) throw new UnsupportedConfigError('tie_word_embeddings', false, 'GPT-2 ties lm_head to wte');
  },
  exportConstants: { scale_attn_weights: true, tie_word_embeddings: true },
};

export function normalizeGpt2Config(raw: Record<string, any>): NormalizedConfig {
  return normalizeWithKeys(raw, GPT2_KEYS);
}

export function gpt2HfConfig(c: NormalizedConfig): Record<string, unknown> {
  return hfConfigWithKeys(c, GPT2_KEYS);
}

export const GPT2_ARCHITECTURES: Record<HeadKind, string> = {
  'causal-lm': 'GPT2LMHeadModel',
  'sequence-classification': 'GPT2ForSequenceClassification',
  'token-classification': 'GPT2ForTokenClassification',
};
