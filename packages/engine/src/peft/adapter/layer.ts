import * as tf from '@tensorflow/tfjs';
import { bottleneck } from './bottleneck-op.js';
import type { TransformerModel } from '../../types.js';
import { safetensorsFileSize, type HostTensor } from '../../hf/safetensors.js';
import type { SavableAttachment } from '../save-attachment.js';
import { seededNormal } from '../seeded-random.js';
import { createSavedHeads, defaultModulesToSave, PEFT_TASK_TYPES, PROMPT_SAVED_PREFIX } from '../modules-to-save.js';
import { AdapterConfigSchema, bottleneckSize, type AdapterConfig, type AdapterConfigInput } from './config.js';

type Site = 'attention' | 'ffn';

/** Names of one module's four tensors, as saved (`adapters.{layer}.{site}.{down|up}.{weight|bias}`). */
export function adapterTensorNames(layer: number, site: Site) {
  const p = `adapters.${layer}.${site}`;
  return { downW: `${p}.down.weight`, downB: `${p}.down.bias`, upW: `${p}.up.weight`, upB: `${p}.up.bias` };
}

/** Analytical trainable parameter count: the declaration's formula. */
export { adapterParamCount } from './declaration.js';

/**
 * Inserts bottleneck modules `h + up(act(down(h)))` on the attention and/or
 * FFN sub-block outputs of every layer. Weights are [in, out] (x·W), the
 * up-projection starts at zero so the model starts unchanged.
 */
export function createAdapterAttachment(model: TransformerModel, input: AdapterConfigInput = {}, adapterName = 'default'): SavableAttachment {
  const config = AdapterConfigSchema.parse(input);
  const d = model.config.dModel;
  const m = bottleneckSize(config, d);
  const sites: Site[] = config.placement === 'houlsby' ? ['attention', 'ffn'] : ['ffn'];
  const trainable = new Map<string, tf.Variable>();
  let seed = config.seed;
  for (let layer = 0; layer < model.config.numLayers; layer++) {
    for (const site of sites) {
      const n = adapterTensorNames(layer, site);
      tf.tidy(() => {
        trainable.set(n.downW, tf.variable(seededNormal([d, m], 0, config.downInitStd, seed++)));
        trainable.set(n.downB, tf.variable(tf.zeros([m])));
        const up = config.upInitStd > 0 ? seededNormal([m, d], 0, config.upInitStd, seed++) : tf.zeros([m, d]);
        trainable.set(n.upW, tf.variable(up));
        trainable.set(n.upB, tf.variable(tf.zeros([d])));
      });
    }
  }
  const apply = (layer: number, site: Site, h: tf.Tensor): tf.Tensor => {
    const n = adapterTensorNames(layer, site);
    const shape = h.shape;
    const x = (h.rank === 2 ? h : h.reshape([-1, d])) as tf.Tensor2D;
    const w = (name: string) => trainable.get(name)!;
    const y = bottleneck(config.nonLinearity, x, w(n.downW) as tf.Tensor2D, w(n.downB) as tf.Tensor1D, w(n.upW) as tf.Tensor2D, w(n.upB) as tf.Tensor1D);
    return h.rank === 2 ? y : y.reshape(shape);
  };
  const modulesToSave = config.modulesToSave ?? defaultModulesToSave(model.head);
  let heads: ReturnType<typeof createSavedHeads>;
  try {
    heads = createSavedHeads(model, modulesToSave, PROMPT_SAVED_PREFIX);
  } catch (e) {
    for (const v of trainable.values()) v.dispose();
    throw e;
  }
  const adapterKeys = [...trainable.keys()];
  for (const [k, v] of heads.trainable) trainable.set(k, v);
  const shapes = new Map<string, number[]>([...adapterKeys.map((k): [string, number[]] => [k, trainable.get(k)!.shape]), ...heads.shapes()]);
  const configJson = () => ({ ...adapterConfigJson(config, m), task_type: PEFT_TASK_TYPES[model.head], modules_to_save: heads.modules.length > 0 ? [...modulesToSave] : null });
  return {
    method: 'adapter',
    adapterName,
    config: { ...config, bottleneck: m },
    hooks: {
      ...heads.hooks(),
      ...(config.placement === 'houlsby' ? { afterAttention: (layer: number, h: tf.Tensor) => apply(layer, 'attention', h) } : {}),
      afterFfn: (layer: number, h: tf.Tensor) => apply(layer, 'ffn', h),
      layerVariables: (layer: number) => (['attention', 'ffn'] as Site[]).flatMap((site) => {
        const n = adapterTensorNames(layer, site);
        return [n.downW, n.downB, n.upW, n.upB].map((k) => trainable.get(k)).filter((t): t is tf.Variable => t !== undefined);
      }),
    },
    trainable,
    storedBytes: () => safetensorsFileSize(shapes) + Buffer.byteLength(JSON.stringify(configJson(), null, 2)),
    adapterConfigJson: configJson,
    /** The adapters as held ([in, out]) and the saved heads in checkpoint layout. */
    adapterTensors() {
      const out = new Map<string, HostTensor>();
      for (const k of adapterKeys) {
        const v = trainable.get(k)!;
        out.set(k, { shape: v.shape.slice(), data: v.dataSync() as Float32Array });
      }
      for (const [k, t] of heads.tensors()) out.set(k, t);
      return out;
    },
    dispose() {
      if (model.hooks === this.hooks) model.hooks = null;
      for (const v of trainable.values()) v.dispose();
      trainable.clear();
      heads.dispose();
    },
  };
}

/** adapter_config.json contents (peft has no bottleneck adapter; the fields follow the `adapters` library's names). */
export function adapterConfigJson(c: AdapterConfig, bottleneck: number): Record<string, unknown> {
  return {
    peft_type: 'BOTTLENECK_ADAPTER',
    placement: c.placement,
    mh_adapter: c.placement === 'houlsby',
    output_adapter: true,
    bottleneck,
    reduction_factor: c.reductionFactor ?? null,
    non_linearity: c.nonLinearity,
    weight_layout: '[in, out]',
  };
}
