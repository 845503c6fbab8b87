/** Qwen3 config.json ⇄ NormalizedConfig: Llama with per-head RMSNorm on queries and keys (q_norm, k_norm). */
import { UnsupportedConfigError } from '../../errors.js';
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { decoderArchitectures, decoderHfConfig, normalizeDecoderConfig, qwenLayerTypes, slidingWindowOf } from '../llama/config.js';
import { qwenWindowHfConfig } from '../qwen2/config.js';

export function normalizeQwen3Config(raw: Record<string, any>): NormalizedConfig {
  if (raw.attention_bias) throw new UnsupportedConfigError('attention_bias', raw.attention_bias, 'supported: false');
  const config = normalizeDecoderConfig(raw, {
    family: 'qwen3', activations: { silu: 'silu' }, defaultActivation: 'silu', defaultHeadDim: 128, defaultTie: false, defaultEps: 1e-6,
  });
  const window = raw.use_sliding_window ? slidingWindowOf(raw) : null;
  Object.assign(config.extra, {
    qkNorm: true,
    slidingWindow: window,
    layerTypes: qwenLayerTypes(raw, config.numLayers, window),
    maxWindowLayers: raw.max_window_layers ?? 28,
  });
  return config;
}

export function qwen3HfConfig(c: NormalizedConfig): Record<string, unknown> {
  return { ...decoderHfConfig(c, 'qwen3'), attention_bias: false, ...qwenWindowHfConfig(c) };
}

export const QWEN3_ARCHITECTURES: Record<HeadKind, string> = decoderArchitectures('Qwen3');
