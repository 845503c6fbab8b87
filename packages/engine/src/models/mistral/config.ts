/** Mistral config.json ⇄ NormalizedConfig: Llama whose causal mask is limited to a sliding window. */
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { decoderArchitectures, decoderHfConfig, normalizeDecoderConfig, slidingWindowOf } from '../llama/config.js';

export function normalizeMistralConfig(raw: Record<string, any>): NormalizedConfig {
  const config = normalizeDecoderConfig(raw, {
    family: 'mistral', activations: { silu: 'silu' }, defaultActivation: 'silu', defaultHeadDim: null, defaultTie: false, defaultEps: 1e-6,
  });
  // transformers' MistralConfig defaults sliding_window to 4096; an explicit null turns it off.
  config.extra.slidingWindow = 'sliding_window' in raw ? slidingWindowOf(raw) : 4096;
  return config;
}

export function mistralHfConfig(c: NormalizedConfig): Record<string, unknown> {
  return { ...decoderHfConfig(c, 'mistral'), sliding_window: c.extra.slidingWindow ?? null };
}

export const MISTRAL_ARCHITECTURES: Record<HeadKind, string> = decoderArchitectures('Mistral');
