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
    // peft: num_virtual_tokens, which has no default there. 10: Li & Liang's length for GPT-2
    // (table-to-text; longer did not help there), and every prefix position costs activations in
    // every layer: at 20, GPT-2 124M at batch 8 × 128 is estimated above full fine-tuning.
    { name: 'numVirtualTokens', kind: 'int', min: 1, default: 10, help: 'Number of trainable key/value vectors prepended in every attention layer.', sweep: { name: 'prefixLength', chart: true } },
    // peft: prefix_projection, default False (the prefix is trained directly); fold() removes the MLP.
    { name: 'prefixProjection', kind: 'bool', default: false, help: 'Train the prefix through an MLP (folded away after training).', sweep: { name: 'reparameterize' } },
    // peft: encoder_hidden_size, default the model's hidden size (peft fills in token_dim).
    { name: 'encoderHiddenSize', kind: 'int', min: 1, appliesWhen: { param: 'prefixProjection', equals: true }, unsetMeans: "the model's hidden size", help: "Hidden size of the reparameterisation MLP (default: the model's hidden size).", sweep: { name: 'reparamHidden' } },
    { name: 'initStd', kind: 'float', min: 0, minExclusive: true, default: 0.02, help: 'Std of the prefix (or its MLP input) init.' },
    { name: 'seed', kind: 'int', default: 0, help: 'Seed of the init.' },
    { name: 'modulesToSave', kind: 'string-list', help: "Head modules trained as copies and saved with the prefix (peft's modules_to_save for SEQ_CLS / TOKEN_CLS); default: classification heads, none for causal LM." },
  ],
  trainableParams: (m, c) => prefixParamCount(c as { numVirtualTokens: number; prefixProjection: boolean; encoderHiddenSize?: number }, m),
  saveFormat: { peftType: 'PREFIX_TUNING' },
});
