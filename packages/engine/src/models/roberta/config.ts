/**
 * RoBERTa config.json ⇄ NormalizedConfig: BERT's keys, with positions offset past
 * padding_idx (the table has max_position_embeddings = usable positions + padding_idx + 1 rows;
 * `maxPositions` is the usable count, what inputs may be truncated to).
 */
import { UnsupportedConfigError } from '../../errors.js';
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { bertHfConfig, normalizeBertConfig } from '../bert/config.js';

export function normalizeRobertaConfig(raw: Record<string, any>): NormalizedConfig {
  const padTokenId = raw.pad_token_id ?? 1;
  const table = raw.max_position_embeddings ?? 514;
  const offset = padTokenId + 1;
  if (!Number.isInteger(padTokenId) || padTokenId < 0 || table - offset < 1) {
    throw new UnsupportedConfigError('max_position_embeddings', table, `must exceed pad_token_id + 1 = ${offset} (RoBERTa positions start after the padding index)`);
  }
  const config = normalizeBertConfig({ ...raw, max_position_embeddings: table - offset, pad_token_id: padTokenId });
  config.family = 'roberta';
  Object.assign(config.extra, {
    positionOffset: offset,
    bosTokenId: raw.bos_token_id ?? 0,
    eosTokenId: raw.eos_token_id ?? 2,
  });
  return config;
}

export function robertaHfConfig(c: NormalizedConfig): Record<string, unknown> {
  const x = c.extra;
  return {
    ...bertHfConfig(c),
    model_type: 'roberta',
    max_position_embeddings: c.maxPositions + ((x.positionOffset as number) ?? 2),
    pad_token_id: x.padTokenId ?? 1,
    bos_token_id: x.bosTokenId ?? 0,
    eos_token_id: x.eosTokenId ?? 2,
  };
}

/** RoBERTa, like BERT, has no causal-LM head here. */
export const ROBERTA_ARCHITECTURES: Partial<Record<HeadKind, string>> = {
  'sequence-classification': 'RobertaForSequenceClassification',
  'token-classification': 'RobertaForTokenClassification',
};
