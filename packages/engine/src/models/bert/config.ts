/** BERT config.json ⇄ NormalizedConfig (RoBERTa's config.ts reuses it). */
import { UnsupportedConfigError } from '../../errors.js';
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { labelCount } from '../gpt2/config.js';

const ACTIVATIONS = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'];

export function normalizeBertConfig(raw: Record<string, any>): NormalizedConfig {
  const act = raw.hidden_act ?? 'gelu';
  if (!ACTIVATIONS.includes(act)) throw new UnsupportedConfigError('hidden_act', act, `supported: ${ACTIVATIONS.join(', ')}`);
  const pos = raw.position_embedding_type ?? 'absolute';
  if (pos !== 'absolute') throw new UnsupportedConfigError('position_embedding_type', pos, 'supported: absolute');
  if (raw.is_decoder) throw new UnsupportedConfigError('is_decoder', raw.is_decoder);
  if (raw.add_cross_attention) throw new UnsupportedConfigError('add_cross_attention', raw.add_cross_attention);
  const dModel = raw.hidden_size ?? 768;
  const numHeads = raw.num_attention_heads ?? 12;
  if (dModel % numHeads !== 0) throw new UnsupportedConfigError('num_attention_heads', numHeads, `must divide hidden_size=${dModel}`);
  return {
    family: 'bert',
    vocabSize: raw.vocab_size ?? 30522,
    dModel,
    numLayers: raw.num_hidden_layers ?? 12,
    numHeads,
    numKvHeads: numHeads,
    headDim: dModel / numHeads,
    ffnDim: raw.intermediate_size ?? 3072,
    maxPositions: raw.max_position_embeddings ?? 512,
    layerNormEps: raw.layer_norm_eps ?? 1e-12,
    numLabels: labelCount(raw),
    extra: {
      activation: act,
      typeVocabSize: raw.type_vocab_size ?? 2,
      hiddenDropout: raw.hidden_dropout_prob ?? 0.1,
      attentionDropout: raw.attention_probs_dropout_prob ?? 0.1,
      classifierDropout: raw.classifier_dropout ?? null,
      initializerRange: raw.initializer_range ?? 0.02,
      padTokenId: raw.pad_token_id ?? 0,
    },
  };
}

export function bertHfConfig(c: NormalizedConfig): Record<string, unknown> {
  const x = c.extra;
  return {
    model_type: 'bert',
    hidden_act: x.activation ?? 'gelu',
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    intermediate_size: c.ffnDim,
    max_position_embeddings: c.maxPositions,
    layer_norm_eps: c.layerNormEps,
    type_vocab_size: x.typeVocabSize ?? 2,
    hidden_dropout_prob: x.hiddenDropout ?? 0.1,
    attention_probs_dropout_prob: x.attentionDropout ?? 0.1,
    classifier_dropout: x.classifierDropout ?? null,
    initializer_range: x.initializerRange ?? 0.02,
    pad_token_id: x.padTokenId ?? 0,
    position_embedding_type: 'absolute',
  };
}

/** BERT has no causal-LM head here (it is an encoder). */
export const BERT_ARCHITECTURES: Partial<Record<HeadKind, string>> = {
  'sequence-classification': 'BertForSequenceClassification',
  'token-classification': 'BertForTokenClassification',
};
