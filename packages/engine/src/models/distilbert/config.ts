/** DistilBERT config.json ⇄ NormalizedConfig (dim, n_layers, n_heads, hidden_dim…; LayerNorm eps is fixed at 1e-12). */
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { hfConfigWithKeys, normalizeWithKeys, type HfConfigKeys } from '../shared/hf-config-keys.js';

const DISTILBERT_KEYS: HfConfigKeys = {
  family: 'distilbert',
  activation: { key: 'activation', dflt: 'gelu', supported: ['gelu', 'relu'] },
  vocabSize: ['vocab_size', 30522],
  dModel: ['dim', 768],
  numLayers: ['n_layers', 6],
  numHeads: ['n_heads', 12],
  ffnDim: ['hidden_dim', (dModel) => 4 * dModel],
  maxPositions: ['max_position_embeddings', 512],
  layerNormEps: [null, 1e-12],
  extra: {
    hiddenDropout: ['dropout', 0.1],
    attentionDropout: ['attention_dropout', 0.1],
    attentionOutputDropout: [null, false],
    classifierDropout: ['seq_classif_dropout', 0.2],
    qaDropout: ['qa_dropout', 0.1],
    // The table is a checkpoint weight either way; sinusoidal only changes transformers' init.
    sinusoidalPositions: ['sinusoidal_pos_embds', false],
    initializerRange: ['initializer_range', 0.02],
    padTokenId: ['pad_token_id', 0],
  },
  exportConstants: { tie_word_embeddings: true },
};

export function normalizeDistilBertConfig(raw: Record<string, any>): NormalizedConfig {
  return normalizeWithKeys(raw, DISTILBERT_KEYS);
}

export function distilBertHfConfig(c: NormalizedConfig): Record<string, unknown> {
  return hfConfigWithKeys(c, DISTILBERT_KEYS);
}

/** DistilBERT has no causal-LM head here. */
export const DISTILBERT_ARCHITECTURES: Partial<Record<HeadKind, string>> = {
  'sequence-classification': 'DistilBertForSequenceClassification',
  'token-classification': 'DistilBertForTokenClassification',
};
