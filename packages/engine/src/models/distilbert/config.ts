/** DistilBERT config.json ⇄ NormalizedConfig (dim, n_layers, n_heads, hidden_dim…; LayerNorm eps is fixed at 1e-12). */
import { UnsupportedConfigError } from '../../errors.js';
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { labelCount } from '../gpt2/config.js';

const ACTIVATIONS = ['gelu', 'relu'];

export function normalizeDistilBertConfig(raw: Record<string, any>): NormalizedConfig {
  const act = raw.activation ?? 'gelu';
  if (!ACTIVATIONS.includes(act)) throw new UnsupportedConfigError('activation', act, `supported: ${ACTIVATIONS.join(', ')}`);
  const dModel = raw.dim ?? 768;
  const numHeads = raw.n_heads ?? 12;
  if (dModel % numHeads !== 0) throw new UnsupportedConfigError('n_heads', numHeads, `must divide dim=${dModel}`);
  return {
    family: 'distilbert',
    vocabSize: raw.vocab_size ?? 30522,
    dModel,
    numLayers: raw.n_layers ?? 6,
    numHeads,
    numKvHeads: numHeads,
    headDim: dModel / numHeads,
    ffnDim: raw.hidden_dim ?? 4 * dModel,
    maxPositions: raw.max_position_embeddings ?? 512,
    layerNormEps: 1e-12,
    numLabels: labelCount(raw),
    extra: {
      activation: act,
      hiddenDropout: raw.dropout ?? 0.1,
      attentionDropout: raw.attention_dropout ?? 0.1,
      attentionOutputDropout: false,
      classifierDropout: raw.seq_classif_dropout ?? 0.2,
      qaDropout: raw.qa_dropout ?? 0.1,
      sinusoidalPositions: raw.sinusoidal_pos_embds ?? false,
      initializerRange: raw.initializer_range ?? 0.02,
      padTokenId: raw.pad_token_id ?? 0,
    },
  };
}

export function distilBertHfConfig(c: NormalizedConfig): Record<string, unknown> {
  const x = c.extra;
  return {
    model_type: 'distilbert',
    activation: x.activation ?? 'gelu',
    vocab_size: c.vocabSize,
    dim: c.dModel,
    n_layers: c.numLayers,
    n_heads: c.numHeads,
    hidden_dim: c.ffnDim,
    max_position_embeddings: c.maxPositions,
    dropout: x.hiddenDropout ?? 0.1,
    attention_dropout: x.attentionDropout ?? 0.1,
    seq_classif_dropout: x.classifierDropout ?? 0.2,
    qa_dropout: x.qaDropout ?? 0.1,
    // The table is a checkpoint weight either way; sinusoidal only changes transformers' init.
    sinusoidal_pos_embds: x.sinusoidalPositions ?? false,
    initializer_range: x.initializerRange ?? 0.02,
    pad_token_id: x.padTokenId ?? 0,
    tie_word_embeddings: true,
  };
}

/** DistilBERT has no causal-LM head here. */
export const DISTILBERT_ARCHITECTURES: Partial<Record<HeadKind, string>> = {
  'sequence-classification': 'DistilBertForSequenceClassification',
  'token-classification': 'DistilBertForTokenClassification',
};
