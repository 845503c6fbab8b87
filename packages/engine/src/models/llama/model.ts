/**
 * Llama: RMSNorm, rotary positions on queries and keys (not on prefix keys),
 * SwiGLU MLP (gate and up as one matMul), grouped-query attention, optional
 * tied LM head.
 */
import * as tf from '@tensorflow/tfjs';
import { attentionBias, scaledDotProductAttention, splitHeads, withAttentionPrefix } from '../shared/attention.js';
import { residualAdd, rmsNorm, swiGlu } from '../shared/ops.js';
import { linearSpecs, normSpecs, TransformerBase, type EncodeInputs, type LinearModuleInfo, type WeightSpec } from '../shared/transformer-base.js';
import { applyRotary } from './rotary.js';

export class LlamaModel extends TransformerBase {
  protected readonly tokenEmbeddingName = 'model.embed_tokens.weight';

  private get tied(): boolean {
    return this.config.extra.tieWordEmbeddings === true;
  }

  weightSpecs(): WeightSpec[] {
    const c = this.config;
    const std = (c.extra.initializerRange as number) ?? 0.02;
    const d = c.dModel;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const specs: WeightSpec[] = [
      { name: 'model.embed_tokens.weight', shape: [c.vocabSize, d], init: { kind: 'normal', std }, transposedInCheckpoint: false, role: 'base' },
    ];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `model.layers.${i}`;
      specs.push(
        ...normSpecs(`${p}.input_layernorm`, d, false),
        ...linearSpecs(`${p}.self_attn.q_proj`, d, qDim, { bias: false, std }),
        ...linearSpecs(`${p}.self_attn.k_proj`, d, kvDim, { bias: false, std }),
        ...linearSpecs(`${p}.self_attn.v_proj`, d, kvDim, { bias: false, std }),
        ...linearSpecs(`${p}.self_attn.o_proj`, qDim, d, { bias: false, std }),
        ...normSpecs(`${p}.post_attention_layernorm`, d, false),
        ...linearSpecs(`${p}.mlp.gate_proj`, d, c.ffnDim, { bias: false, std }),
        ...linearSpecs(`${p}.mlp.up_proj`, d, c.ffnDim, { bias: false, std }),
        ...linearSpecs(`${p}.mlp.down_proj`, c.ffnDim, d, { bias: false, std }),
      );
    }
    specs.push(...normSpecs('model.norm', d, false));
    const labels = c.numLabels ?? 2;
    if (this.head === 'causal-lm' && !this.tied) specs.push(...linearSpecs('lm_head', d, c.vocabSize, { bias: false, std, role: 'head' }));
    if (this.head === 'sequence-classification') specs.push(...linearSpecs('score', d, labels, { bias: false, std, role: 'head' }));
    if (this.head === 'token-classification') specs.push(...linearSpecs('score', d, labels, { bias: true, std, role: 'head' }));
    return specs;
  }

  linearModules(): LinearModuleInfo[] {
    const c = this.config;
    const d = c.dModel;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const out: LinearModuleInfo[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `model.layers.${i}`;
      out.push(
        { name: `${p}.self_attn.q_proj`, shortName: 'q_proj', inFeatures: d, outFeatures: qDim },
        { name: `${p}.self_attn.k_proj`, shortName: 'k_proj', inFeatures: d, outFeatures: kvDim },
        { name: `${p}.self_attn.v_proj`, shortName: 'v_proj', inFeatures: d, outFeatures: kvDim },
        { name: `${p}.self_attn.o_proj`, shortName: 'o_proj', inFeatures: qDim, outFeatures: d },
        { name: `${p}.mlp.gate_proj`, shortName: 'gate_proj', inFeatures: d, outFeatures: c.ffnDim },
        { name: `${p}.mlp.up_proj`, shortName: 'up_proj', inFeatures: d, outFeatures: c.ffnDim },
        { name: `${p}.mlp.down_proj`, shortName: 'down_proj', inFeatures: c.ffnDim, outFeatures: d },
      );
    }
    return out;
  }

  protected encode({ embeds, mask, training }: EncodeInputs): tf.Tensor2D {
    const c = this.config;
    const [batch, len, d] = embeds.shape;
    const eps = c.layerNormEps;
    const theta = (c.extra.ropeTheta as number) ?? 10000;
    const attDrop = training ? ((c.extra.attentionDropout as number) ?? 0) : 0;
    let h = embeds.reshape([batch * len, d]) as tf.Tensor2D;
    const bias = attentionBias(mask, 0, true);
    for (let i = 0; i < c.numLayers; i++) {
      h = this.layerScope(h, i, `model.layers.${i}.`, [bias, mask] as [tf.Tensor4D, tf.Tensor2D], (h, [bias, mask]) => {
        const p = `model.layers.${i}`;
        const a = rmsNorm(h, this.w(`${p}.input_layernorm.weight`), eps) as tf.Tensor2D;
        const [q, k, v] = this.fusedLinear([`${p}.self_attn.q_proj`, `${p}.self_attn.k_proj`, `${p}.self_attn.v_proj`], a, false);
        const qr = applyRotary(q, batch, len, c.numHeads, c.headDim, theta);
        const kr = applyRotary(k, batch, len, c.numKvHeads, c.headDim, theta);
        const { kh, vh, bias: layerBias } = withAttentionPrefix(
          this.hooks, i, batch, splitHeads(kr, batch, len, c.numKvHeads, c.headDim), splitHeads(v, batch, len, c.numKvHeads, c.headDim), bias, mask, true);
        const att = scaledDotProductAttention({ q: splitHeads(qr, batch, len, c.numHeads, c.headDim), k: kh, v: vh, bias: layerBias, dropout: attDrop });
        let o = this.linear(`${p}.self_attn.o_proj`, att, false);
        if (this.hooks?.afterAttention) o = this.hooks.afterAttention(i, o.reshape([batch, len, d]), training).reshape([batch * len, d]);
        h = residualAdd(h, o);
        const m = rmsNorm(h, this.w(`${p}.post_attention_layernorm.weight`), eps) as tf.Tensor2D;
        const [gate, up] = this.fusedLinear([`${p}.mlp.gate_proj`, `${p}.mlp.up_proj`], m, false);
        let f = this.linear(`${p}.mlp.down_proj`, swiGlu(gate, up) as tf.Tensor2D, false);
        if (this.hooks?.afterFfn) f = this.hooks.afterFfn(i, f.reshape([batch, len, d]), training).reshape([batch * len, d]);
        h = residualAdd(h, f);
        return h;
      });
    }
    return rmsNorm(h, this.w('model.norm.weight'), eps) as tf.Tensor2D;
  }

  /** Tied: the embedding table. Untied: `lm_head` [d, vocab], unless a linear hook may change it. */
  protected lmHeadWeight() {
    if (this.tied) return { weight: this.w(this.tokenEmbeddingName) as tf.Tensor2D, vocabMajor: true };
    return this.hookTouches('lm_head') ? null : { weight: this.w('lm_head.weight') as tf.Tensor2D, vocabMajor: false };
  }

  protected headProjection(hidden: tf.Tensor2D): tf.Tensor2D {
    if (this.head === 'causal-lm') return this.tied ? this.tiedLmHead(hidden) : this.linear('lm_head', hidden, false);
    if (this.head === 'sequence-classification') return this.linear('score', hidden, false);
    return this.linear('score', hidden);
  }

  protected poolSequence(tokens: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
    return this.decoderPool(tokens, mask);
  }
}
