/** BERT config.json ⇄ NormalizedConfig (RoBERTa's config.ts reuses it). */
import { UnsupportedConfigError } from '../../errors.js';
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { hfConfigWithKeys, normalizeWithKeys, type HfConfigKeys } from '../shared/hf-config-keys.js';

const BERT_KEYS: HfConfigKeys = {
  family: 'bert',
  activation: { key: 'hidden_act', dflt: 'gelu', supported: ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'] },
  vocabSize: ['vocab_size', 30522],
  dModel: ['hidden_size', 768],
  numLayers: ['num_hidden_layers', 12],
  numHeads: ['num_attention_heads', 12],
  ffnDim: ['intermediate_size', 3072],
  maxPositions: ['max_position_embeddings', 512],
  layerNormEps: ['layer_norm_eps', 1e-12],
  extra: {
    typeVocabSize: ['type_vocab_size', 2],
    hiddenDropout: ['hidden_dropout_prob', 0.1],
    attentionDropout: ['attention_probs_dropout_prob', 0.1],
    classifierDropout: ['classifier_dropout', null],
    initializerRange: ['initializer_range', 0.02],
    padTokenId: ['pad_token_id', 0],
  },
  rejectUnsupported: (raw) => {
    const pos = raw.position_embedding_type ?? 'absolute';
    if (pos !== 'absolute') throw new UnsupportedConfigError('position_embedding_type', pos, 'supported: absolute');
    if (raw.is_decoder) throw new UnsupportedConfigError('is_decoder', raw.is_decoder);
    if (raw.add_cross_attention) throw new UnsupportedConfigError('add_cross_attention', raw.add_cross_attention);
  },
  exportConstants: { position_embedding_type: 'absolute' },
};

export function normalizeBertConfig(raw: Record<string, any>): NormalizedConfig {
  return normalizeWithKeys(raw, BERT_KEYS);
}

export function bertHfConfig(c: NormalizedConfig): Record<string, unknown> {
  return hfConfigWithKeys(c, BERT_KEYS);
}

/** BERT has no causal-LM head here (it is an encoder). */
export const BERT_ARCHITECTURES: Partial<Record<HeadKind, string>> = {
  'sequence-classification': 'BertForSequenceClassification',
  'token-classification': 'BertForTokenClassification',
};
