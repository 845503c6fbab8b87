/**
 * Gemma config.json ⇄ NormalizedConfig: Llama with a GeGLU MLP (GELU-tanh gate), RMSNorm
 * scaled by (1 + w), token embeddings × √dModel, an explicit head_dim and tied embeddings.
 */
import { UnsupportedConfigError } from '../../errors.js';
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { decoderArchitectures, decoderHfConfig, normalizeDecoderConfig } from '../llama/config.js';

/** Gemma's released configs say "gelu" but mean the tanh approximation (transformers rewrites it too). */
const GELU_TANH = { gelu_pytorch_tanh: 'gelu_tanh', gelu: 'gelu_tanh', gelu_new: 'gelu_tanh', gelu_fast: 'gelu_tanh' } as const;

export function normalizeGemmaConfig(raw: Record<string, any>): NormalizedConfig {
  if (raw.attention_bias) throw new UnsupportedConfigError('attention_bias', raw.attention_bias, 'supported: false');
  if (raw.use_bidirectional_attention) throw new UnsupportedConfigError('use_bidirectional_attention', raw.use_bidirectional_attention, 'supported: false or null');
  const config = normalizeDecoderConfig({ ...raw, hidden_act: raw.hidden_act ?? raw.hidden_activation }, {
    family: 'gemma', activations: GELU_TANH, defaultActivation: 'gelu_pytorch_tanh', defaultHeadDim: 256, defaultTie: true, defaultEps: 1e-6,
  });
  Object.assign(config.extra, {
    activation: 'gelu_pytorch_tanh',
    normOffset: 1,
    // transformers: embed_scale = tensor(hidden_size ** 0.5) cast to the weights' dtype (float32 here).
    embedScale: Math.fround(Math.sqrt(config.dModel)),
  });
  return config;
}

export function gemmaHfConfig(c: NormalizedConfig): Record<string, unknown> {
  return { ...decoderHfConfig(c, 'gemma'), hidden_act: 'gelu_pytorch_tanh', hidden_activation: 'gelu_pytorch_tanh', attention_bias: false };
}

export const GEMMA_ARCHITECTURES: Record<HeadKind, string> = decoderArchitectures('Gemma');
