/**
 * Phi-3 config.json ⇄ NormalizedConfig: Llama with fused qkv_proj and gate_up_proj weights,
 * partial rotary (partial_rotary_factor), residual/embedding dropout and an optional sliding window.
 */
import { UnsupportedConfigError } from '../../errors.js';
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { decoderArchitectures, decoderHfConfig, normalizeDecoderConfig, ropeSettings, slidingWindowOf } from '../llama/config.js';

export function normalizePhi3Config(raw: Record<string, any>): NormalizedConfig {
  const config = normalizeDecoderConfig(raw, {
    family: 'phi3', activations: { silu: 'silu' }, defaultActivation: 'silu', defaultHeadDim: null, defaultTie: false, defaultEps: 1e-5,
  });
  const factor = ropeSettings(raw).partial_rotary_factor ?? raw.partial_rotary_factor ?? 1;
  // transformers: dim = int(head_dim · partial_rotary_factor), inv_freq over that dim.
  const rotaryDim = Math.floor(config.headDim * factor);
  if (!(factor > 0 && factor <= 1) || rotaryDim < 2 || rotaryDim % 2 !== 0) {
    throw new UnsupportedConfigError('partial_rotary_factor', factor, `head_dim ${config.headDim} × factor must be an even number of dims ≥ 2`);
  }
  Object.assign(config.extra, {
    rotaryDim,
    partialRotaryFactor: factor,
    slidingWindow: slidingWindowOf(raw),
    hiddenDropout: raw.resid_pdrop ?? 0,
    embeddingDropout: raw.embd_pdrop ?? 0,
    originalMaxPositions: raw.original_max_position_embeddings ?? raw.max_position_embeddings ?? 4096,
  });
  return config;
}

export function phi3HfConfig(c: NormalizedConfig): Record<string, unknown> {
  const x = c.extra;
  const factor = x.partialRotaryFactor ?? 1;
  return {
    ...decoderHfConfig(c, 'phi3'),
    rope_parameters: { rope_theta: x.ropeTheta ?? 10000, rope_type: 'default', partial_rotary_factor: factor },
    partial_rotary_factor: factor,
    sliding_window: x.slidingWindow ?? null,
    resid_pdrop: x.hiddenDropout ?? 0,
    embd_pdrop: x.embeddingDropout ?? 0,
    original_max_position_embeddings: x.originalMaxPositions ?? c.maxPositions,
  };
}

export const PHI3_ARCHITECTURES: Record<HeadKind, string> = decoderArchitectures('Phi3');
