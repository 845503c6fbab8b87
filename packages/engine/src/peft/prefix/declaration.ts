/** Prefix tuning (Li & Liang 2021): trainable key/value prefixes in every attention layer. TF-free: see ../method-declaration.ts. */
import { defineMethod, type ModelDims } from '../method-declaration.js';

/** Width of one position's row: 2 (key, value) · layers · kvHeads · headDim. */
export function prefixRowWidth(c: Pick<ModelDims, 'numLayers' | 'numKvHeads' | 'headDim'>): number {
  return 2 * c.numLayers * c.numKvHeads * c.headDim;
}

/** Analytical trainable parameter count (before fold when prefixProjection is on; plus any saved heads: `modulesToSaveParamCount`). */
export function prefixParamCount(p: { numVirtualTokens: number; prefixProjection: boolean; encoderHiddenSize?: number }, c: Pick<ModelDims, 'dModel' | 'numLayers' | 'numKvHeads' | 'headDim'>): number {
  const L = p.numVirtualTokens, out = prefixRowWidth(c);
  if (!p.prefixProjection) return L * out;
  const d = c.dModel, h = p.encoderHiddenSize ?? d;
  return L * d + d * h + h + h * out + out;
}

export const PREFIX = defineMethod({
  name: 'prefix',
  label: 'Prefix tuning',
  shortLabel: 'Prefix',
  summary: 'Prefix tuning: trainable key/value vectors in every attention layer.',
  color: '#009E73',
  defaultLr: 1e-3,
  hyperparameters: [
    // peft: num_virtual_tokens. A sweep's default (20) differs from the engine's (10): kept from before the registry.
    { name: 'numVirtualTokens', kind: 'int', min: 1, default: 10, help: 'Number of trainable key/value vectors prepended in every attention layer.', sweep: { name: 'prefixLength', default: 20, chart: true } },
    // peft: prefix_projection; fold() removes the MLP. A sweep's default (true) differs from the engine's (false), as before.
    { name: 'prefixProjection', kind: 'bool', default: false, help: 'Train the prefix through an MLP (folded away after training).', sweep: { name: 'reparameterize', default: true } },
    // peft: encoder_hidden_size; the engine's default is the model width, a sweep's 512 (as before).
    { name: 'encoderHiddenSize', kind: 'int', min: 1, appliesWhen: { param: 'prefixProjection', equals: true }, help: 'Hidden size of the reparameterisation MLP.', sweep: { name: 'reparamHidden', default: 512 } },
    { name: 'initStd', kind: 'float', min: 0, minExclusive: true, default: 0.02, help: 'Std of the prefix (or its MLP input) init.' },
    { name: 'seed', kind: 'int', default: 0, help: 'Seed of the init.' },
    { name: 'modulesToSave', kind: 'string-list', help: "Head modules trained as copies and saved with the prefix (peft's modules_to_save for SEQ_CLS / TOKEN_CLS); default: classification heads, none for causal LM." },
  ],
  trainableParams: (m, c) => prefixParamCount(c as { numVirtualTokens: number; prefixProjection: boolean; encoderHiddenSize?: number }, m),
  saveFormat: { peftType: 'PREFIX_TUNING' },
});
