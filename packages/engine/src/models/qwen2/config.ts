/** Qwen2 config.json ⇄ NormalizedConfig: Llama with q/k/v biases, optional sliding-window layers. */
import type { HeadKind, NormalizedConfig } from '../../types.js';
import { decoderArchitectures, decoderHfConfig, normalizeDecoderConfig, qwenLayerTypes, slidingWindowOf } from '../llama/config.js';

export function normalizeQwen2Config(raw: Record<string, any>): NormalizedConfig {
  const config = normalizeDecoderConfig(raw, {
    family: 'qwen2', activations: { silu: 'silu' }, defaultActivation: 'silu', defaultHeadDim: null, defaultTie: false, defaultEps: 1e-6,
  });
  // As Qwen2Config: sliding_window only counts with use_sliding_window.
  const window = raw.use_sliding_window ? slidingWindowOf(raw) : null;
  Object.assign(config.extra, {
    qkvBias: true,
    slidingWindow: window,
    layerTypes: qwenLayerTypes(raw, config.numLayers, window),
    maxWindowLayers: raw.max_window_layers ?? 28,
  });
  return config;
}

/** The Qwen2/Qwen3 sliding-window keys. */
export function qwenWindowHfConfig(c: NormalizedConfig): Record<string, unknown> {
  const x = c.extra;
  const window = (x.slidingWindow as number | null | undefined) ?? null;
  return {
    use_sliding_window: window !== null,
    sliding_window: window,
    max_window_layers: x.maxWindowLayers ?? 28,
    layer_types: x.layerTypes ?? Array.from({ length: c.numLayers }, () => 'full_attention'),
  };
}

export function qwen2HfConfig(c: NormalizedConfig): Record<string, unknown> {
  return { ...decoderHfConfig(c, 'qwen2'), ...qwenWindowHfConfig(c) };
}

export const QWEN2_ARCHITECTURES: Record<HeadKind, string> = decoderArchitectures('Qwen2');
