/**
 * Bottleneck adapters (Houlsby et al. 2019; Pfeiffer et al. 2020). TF-free: see ../method-declaration.ts.
 * The bottleneck is `bottleneck` hidden units or dModel / `reductionFactor`, not both; with
 * neither, reductionFactor 16 (the `adapters` library default).
 */
import { defineMethod, type ModelDims } from '../method-declaration.js';

export const ADAPTER_DEFAULT_REDUCTION_FACTOR = 16;

/** Hidden units of the bottleneck for a model width. */
export function bottleneckSize(c: { bottleneck?: number; reductionFactor?: number }, dModel: number): number {
  if (c.bottleneck !== undefined) return c.bottleneck;
  return Math.max(1, Math.floor(dModel / (c.reductionFactor ?? ADAPTER_DEFAULT_REDUCTION_FACTOR)));
}

/** Analytical trainable parameter count: per module 2·d·m + m + d (plus any saved heads: `modulesToSaveParamCount`). */
export function adapterParamCount(c: { bottleneck?: number; reductionFactor?: number; placement: string }, dModel: number, numLayers: number): number {
  const m = bottleneckSize(c, dModel);
  const perModule = 2 * dModel * m + m + dModel;
  return perModule * numLayers * (c.placement === 'houlsby' ? 2 : 1);
}

export const ADAPTER = defineMethod({
  name: 'adapter',
  label: 'Adapter',
  shortLabel: 'Adapter',
  summary: 'Adapter tuning: bottleneck modules inserted in each layer.',
  color: '#E69F00',
  defaultLr: 1e-3,
  hyperparameters: [
    { name: 'bottleneck', kind: 'int', min: 1, exclusiveWith: 'reductionFactor', help: 'Bottleneck width of each adapter (give this or reductionFactor).', sweep: { chart: true } },
    {
      name: 'reductionFactor', kind: 'float', min: 0, minExclusive: true, default: ADAPTER_DEFAULT_REDUCTION_FACTOR, exclusiveWith: 'bottleneck',
      help: 'Bottleneck = hidden size / reductionFactor (give this or bottleneck).',
      sweep: { kind: 'int', min: 1, chart: true },
    },
    // pfeiffer: the `adapters` library's default bottleneck adapter (seq_bn, whose relu and
    // reduction factor 16 are the defaults here too); half the parameters of houlsby
    // (double_seq_bn, the original paper's) at about the same accuracy (Pfeiffer et al. 2021).
    {
      name: 'placement', kind: 'enum', options: ['houlsby', 'pfeiffer'], default: 'pfeiffer',
      help: 'houlsby: after attention and after the FFN; pfeiffer: after the FFN only.',
      sweep: true,
    },
    { name: 'nonLinearity', kind: 'enum', options: ['relu', 'gelu', 'tanh', 'swish'], default: 'relu', help: 'Non-linearity between the down- and up-projection.', sweep: { name: 'activation' } },
    { name: 'upInitStd', kind: 'float', min: 0, default: 0, help: 'Std of the up-projection init; 0 = exact identity at start.' },
    { name: 'downInitStd', kind: 'float', min: 0, minExclusive: true, default: 0.02, help: 'Std of the down-projection init.' },
    { name: 'seed', kind: 'int', default: 0, help: 'Seed of the init.' },
    { name: 'modulesToSave', kind: 'string-list', help: "Head modules trained as copies and saved beside the adapters (peft's modules_to_save); default: classification heads, none for causal LM." },
  ],
  trainableParams: (m: ModelDims, c) => adapterParamCount(c as { placement: string }, m.dModel, m.numLayers),
  saveFormat: { peftType: 'BOTTLENECK_ADAPTER' },
});
