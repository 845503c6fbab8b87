/**
 * What LoRA/DoRA and (IA)³ attachments share, as peft's BaseTunerLayer holds it for its tuners:
 * per-module variables on base linears (keyed by module name), saved heads that replace their
 * linears' outputs, a merge swapped in through MergedWeights, the stored size of the peft
 * adapter directory, and dispose. Each method gives its module variables, its unmerged linear
 * hook and its merge; `lora/layer.ts` and `ia3/layer.ts` build their attachments with this.
 */
import type * as tf from '@tensorflow/tfjs';
import { safetensorsFileSize, type HostTensor } from '../hf/safetensors.js';
import type { ModelHooks, TransformerModel } from '../types.js';
import type { MergedWeights } from './merged-weights.js';
import type { SavedHeads } from './modules-to-save.js';

export interface ModuleAttachmentParts<M extends { readonly name: string }> {
  readonly model: TransformerModel;
  readonly modules: Map<string, M>;
  readonly heads: SavedHeads;
  readonly trainable: Map<string, tf.Variable>;
  readonly mergedWeights: MergedWeights;
  /** A module's trainable variables, in the order gradient checkpointing hands them gradients. */
  readonly variables: (m: M) => tf.Variable[];
  /** The module's output while unmerged (x [..., in], y the base output [..., out]). */
  readonly linear: (m: M, x: tf.Tensor, y: tf.Tensor, training?: boolean) => tf.Tensor;
}

/**
 * The hooks: saved heads always replace their outputs; a targeted module runs `linear` unless
 * merged (then the base linears run plain, the update is in the weights).
 */
export function moduleHooks<M extends { readonly name: string }>(p: ModuleAttachmentParts<M>): ModelHooks {
  const { modules, heads, mergedWeights } = p;
  return {
    linearTouches: (name) => heads.has(name) || (!mergedWeights.active && modules.has(name)),
    layerVariables: (_layer, prefix) => [...modules.values()].filter((m) => m.name.startsWith(prefix)).flatMap(p.variables),
    linear(name, x, y, training) {
      if (heads.has(name)) return heads.apply(name, x, y);
      const m = modules.get(name);
      if (!m || mergedWeights.active) return y;
      return p.linear(m, x, y, training);
    },
  };
}

/** Bytes of the adapter directory as saved: adapter_model.safetensors + adapter_config.json (pretty-printed as written). */
export function adapterDirBytes(tensors: ReadonlyMap<string, HostTensor>, configJson: Record<string, unknown>): number {
  const shapes = new Map([...tensors].map(([k, t]) => [k, t.shape]));
  return safetensorsFileSize(shapes) + new TextEncoder().encode(JSON.stringify(configJson, null, 2)).length;
}

/** `tensors` (module variables under their peft names) followed by the saved heads' tensors. */
export function withHeadTensors(tensors: Map<string, HostTensor>, heads: SavedHeads): Map<string, HostTensor> {
  for (const [k, t] of heads.tensors()) tensors.set(k, t);
  return tensors;
}

/** Unmerges, detaches the hooks if active, frees every trainable and the saved heads. */
export function disposeModuleAttachment<M extends { readonly name: string }>(p: ModuleAttachmentParts<M>, hooks: ModelHooks): void {
  p.mergedWeights.restore();
  if (p.model.hooks === hooks) p.model.hooks = null;
  for (const v of p.trainable.values()) if (!v.isDisposed) v.dispose();
  p.trainable.clear();
  p.modules.clear();
  p.heads.dispose();
}
