/**
 * GPT-2: learned positions, pre-LayerNorm blocks, GELU-tanh MLP, Conv1D
 * weights already [in, out], fused c_attn (one QKV matMul), LM head tied to wte.
 */
import * as tf from '@tensorflow/tfjs';
import { attentionBias, fusedQkvAttention, scaledDotProductAttention, splitFusedQkv } from '../shared/attention.js';
import { layerNorm, residualAdd } from '../shared/ops.js';
import { linearSpecs, normSpecs, TransformerBase, type EncodeInputs, type LinearModuleInfo, type WeightSpec } from '../shared/transformer-base.js';

export class Gpt2Model extends TransformerBase {
  protected readonly tokenEmbeddingName = 'transformer.wte.weight';

  weightSpecs(): WeightSpec[] {
    const c = this.config;
    const std = (c.extra.initializerRange as number) ?? 0.02;
    const d = c.dModel;
    const specs: WeightSpec[] = [
      { name: 'transformer.wte.weight', shape: [c.vocabSize, d], init: { kind: 'normal', std }, transposedInCheckpoint: false, role: 'base' },
      { name: 'transformer.wpe.weight', shape: [c.maxPositions, d], init: { kind: 'normal', std }, transposedInCheckpoint: false, role: 'base' },
    ];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `transformer.h.${i}`;
      specs.push(
        ...normSpecs(`${p}.ln_1`, d, true),
        ...linearSpecs(`${p}.attn.c_attn`, d, 3 * d, { bias: true, std, conv1d: true }),
        ...linearSpecs(`${p}.attn.c_proj`, d, d, { bias: true, std, conv1d: true }),
        ...normSpecs(`${p}.ln_2`, d, true),
        ...linearSpecs(`${p}.mlp.c_fc`, d, c.ffnDim, { bias: true, std, conv1d: true }),
        ...linearSpecs(`${p}.mlp.c_proj`, c.ffnDim, d, { bias: true, std, conv1d: true }),
      );
    }
    specs.push(...normSpecs('transformer.ln_f', d, true));
    const labels = c.numLabels ?? 2;
    if (this.head === 'sequence-classification') specs.push(...linearSpecs('score', d, labels, { bias: false, std, role: 'head' }));
    if (this.head === 'token-classification') specs.push(...linearSpecs('classifier', d, labels, { bias: true, std, role: 'head' }));
    return specs;
  }

  linearModules(): LinearModuleInfo[] {
    const c = this.config;
    const out: LinearModuleInfo[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `transformer.h.${i}`;
      out.push(
        { name: `${p}.attn.c_attn`, shortName: 'c_attn', inFeatures: c.dModel, outFeatures: 3 * c.dModel },
        { name: `${p}.attn.c_proj`, shortName: 'c_proj', inFeatures: c.dModel, outFeatures: c.dModel },
        { name: `${p}.mlp.c_fc`, shortName: 'c_fc', inFeatures: c.dModel, outFeatures: c.ffnDim },
        { name: `${p}.mlp.c_proj`, shortName: 'c_proj', inFeatures: c.ffnDim, outFeatures: c.dModel },
      );
    }
    return out;
  }

  protected encode({ embeds, mask, training }: EncodeInputs): tf.Tensor2D {
    const c = this.config;
    const [batch, len, d] = embeds.shape;
    const eps = c.layerNormEps;
    const x = this.config.extra;
    // Positions 0..len-1 are the table's first rows: a slice (gradient: one pad), not a lookup.
    const positions = tf.slice(this.w('transformer.wpe.weight'), [0, 0], [len, d]);
    let h = this.dropout(tf.add(embeds, positions).reshape([batch * len, d]) as tf.Tensor2D, x.embeddingDropout as number, training);
    const bias = attentionBias(mask, 0, true);
    const hidden = (x.hiddenDropout as number) ?? 0;
    for (let i = 0; i < c.numLayers; i++) {
      h = this.layerScope(h, i, `transformer.h.${i}.`, [bias, mask] as [tf.Tensor4D, tf.Tensor2D], (h, [bias, mask]) => {
        const p = `transformer.h.${i}`;
        const a = layerNorm(h, this.w(`${p}.ln_1.weight`), this.w(`${p}.ln_1.bias`), eps) as tf.Tensor2D;
        const qkv = this.linear(`${p}.attn.c_attn`, a);
        const attDrop = training ? (x.attentionDropout as number) : 0;
        const prefix = this.hooks?.attentionPrefix?.(i, batch);
        let att: tf.Tensor2D;
        if (!prefix) {
          att = fusedQkvAttention(qkv, batch, len, c.numHeads, c.headDim, bias, attDrop);
        } else {
          // q, k, v: [1, batch, heads, len, headDim]; prefix tuning prepends its keys and values.
          const [q, k0, v0] = splitFusedQkv(qkv, batch, len, c.numHeads, c.headDim);
          const prefixLen = prefix.key.shape[2]!;
          const kh = tf.concat([prefix.key.reshape([1, batch, c.numHeads, prefixLen, c.headDim]), k0], 3);
          const vh = tf.concat([prefix.value.reshape([1, batch, c.numHeads, prefixLen, c.headDim]), v0], 3);
          att = scaledDotProductAttention({ q, k: kh, v: vh, bias: attentionBias(mask, prefixLen, true), dropout: attDrop });
        }
        let o = this.linear(`${p}.attn.c_proj`, att);
        if (this.hooks?.afterAttention) o = this.hooks.afterAttention(i, o.reshape([batch, len, d]), training).reshape([batch * len, d]);
        h = residualAdd(h, this.dropout(o, hidden, training));
        const m = layerNorm(h, this.w(`${p}.ln_2.weight`), this.w(`${p}.ln_2.bias`), eps) as tf.Tensor2D;
        const f = this.linearActivation(`${p}.mlp.c_fc`, m, x.activation as string);
        let f2 = this.linear(`${p}.mlp.c_proj`, f);
        if (this.hooks?.afterFfn) f2 = this.hooks.afterFfn(i, f2.reshape([batch, len, d]), training).reshape([batch * len, d]);
        h = residualAdd(h, this.dropout(f2, hidden, training));
        return h;
      });
    }
    return layerNorm(h, this.w('transformer.ln_f.weight'), this.w('transformer.ln_f.bias'), eps) as tf.Tensor2D;
  }

  protected hasTiedLmHead(): boolean {
    return true;
  }

  protected lmHeadWeight() {
    return { weight: this.w(this.tokenEmbeddingName) as tf.Tensor2D, vocabMajor: true };
  }

  protected headProjection(hidden: tf.Tensor2D): tf.Tensor2D {
    if (this.head === 'causal-lm') return this.tiedLmHead(hidden);
    if (this.head === 'sequence-classification') return this.linear('score', hidden, false);
    return this.linear('classifier', hidden);
  }

  protected poolSequence(tokens: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
    return this.decoderPool(tokens, mask);
  }
}
