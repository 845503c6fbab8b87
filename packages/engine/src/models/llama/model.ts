/**
 * Llama: RMSNorm, rotary positions on queries and keys (not on prefix keys),
 * SwiGLU MLP (gate and up as one matMul), grouped-query attention, optional
 * tied LM head.
 *
 * The Llama-shaped families run this class with switches from `config.extra`
 * (`DecoderSwitches` in config.ts): Qwen2's q/k/v biases, Qwen3's per-head q/k RMSNorm,
 * Mistral's (and Qwen2/3's per-layer) sliding window, Gemma's (1 + w) RMSNorm, √d embedding
 * scale and GeGLU, Phi-3's partial rotary and residual dropout. Phi-3's fused weights are a
 * subclass (`phi3/model.ts`) overriding the projection methods below.
 */
import * as tf from '@tensorflow/tfjs';
import { attentionBias, scaledDotProductAttention, splitHeads, withAttentionPrefix } from '../shared/attention.js';
import { glu, residualAdd, rmsNorm } from '../shared/ops.js';
import { linearSpecs, normSpecs, TransformerBase, type EncodeInputs, type LinearModuleInfo, type WeightSpec } from '../shared/transformer-base.js';
import type { DecoderSwitches } from './config.js';
import { applyRotary } from './rotary.js';

export class LlamaModel extends TransformerBase {
  protected readonly tokenEmbeddingName = 'model.embed_tokens.weight';

  private get tied(): boolean {
    return this.config.extra.tieWordEmbeddings === true;
  }

  /** The family switches (absent ones: Llama's behaviour). */
  protected get switches(): Partial<DecoderSwitches> {
    return this.config.extra as Partial<DecoderSwitches>;
  }

  protected get std(): number {
    return (this.config.extra.initializerRange as number) ?? 0.02;
  }

  /** An RMSNorm weight; with Gemma's (1 + w) it starts at 0, as transformers initialises it. */
  protected rmsNormSpec(name: string, dim: number): WeightSpec {
    const spec = normSpecs(name, dim, false)[0];
    return this.switches.normOffset ? { ...spec, init: { kind: 'zeros' } } : spec;
  }

  /** The attention's projection weights (Phi-3: one fused qkv_proj). */
  protected attentionSpecs(p: string): WeightSpec[] {
    const c = this.config;
    const d = c.dModel;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const bias = this.switches.qkvBias === true;
    const std = this.std;
    return [
      ...linearSpecs(`${p}.self_attn.q_proj`, d, qDim, { bias, std }),
      ...linearSpecs(`${p}.self_attn.k_proj`, d, kvDim, { bias, std }),
      ...linearSpecs(`${p}.self_attn.v_proj`, d, kvDim, { bias, std }),
      ...linearSpecs(`${p}.self_attn.o_proj`, qDim, d, { bias: false, std }),
    ];
  }

  /** The MLP's weights (Phi-3: one fused gate_up_proj). */
  protected mlpSpecs(p: string): WeightSpec[] {
    const c = this.config;
    const std = this.std;
    return [
      ...linearSpecs(`${p}.mlp.gate_proj`, c.dModel, c.ffnDim, { bias: false, std }),
      ...linearSpecs(`${p}.mlp.up_proj`, c.dModel, c.ffnDim, { bias: false, std }),
      ...linearSpecs(`${p}.mlp.down_proj`, c.ffnDim, c.dModel, { bias: false, std }),
    ];
  }

  weightSpecs(): WeightSpec[] {
    const c = this.config;
    const std = this.std;
    const d = c.dModel;
    const specs: WeightSpec[] = [
      { name: 'model.embed_tokens.weight', shape: [c.vocabSize, d], init: { kind: 'normal', std }, transposedInCheckpoint: false, role: 'base' },
    ];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `model.layers.${i}`;
      specs.push(this.rmsNormSpec(`${p}.input_layernorm`, d), ...this.attentionSpecs(p));
      if (this.switches.qkNorm) specs.push(this.rmsNormSpec(`${p}.self_attn.q_norm`, c.headDim), this.rmsNormSpec(`${p}.self_attn.k_norm`, c.headDim));
      specs.push(this.rmsNormSpec(`${p}.post_attention_layernorm`, d), ...this.mlpSpecs(p));
    }
    specs.push(this.rmsNormSpec('model.norm', d));
    const labels = c.numLabels ?? 2;
    if (this.head === 'causal-lm' && !this.tied) specs.push(...linearSpecs('lm_head', d, c.vocabSize, { bias: false, std, role: 'head' }));
    if (this.head === 'sequence-classification') specs.push(...linearSpecs('score', d, labels, { bias: false, std, role: 'head' }));
    if (this.head === 'token-classification') specs.push(...linearSpecs('score', d, labels, { bias: true, std, role: 'head' }));
    return specs;
  }

  protected attentionLinears(p: string): LinearModuleInfo[] {
    const c = this.config;
    const d = c.dModel;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    return [
      { name: `${p}.self_attn.q_proj`, shortName: 'q_proj', inFeatures: d, outFeatures: qDim },
      { name: `${p}.self_attn.k_proj`, shortName: 'k_proj', inFeatures: d, outFeatures: kvDim },
      { name: `${p}.self_attn.v_proj`, shortName: 'v_proj', inFeatures: d, outFeatures: kvDim },
      { name: `${p}.self_attn.o_proj`, shortName: 'o_proj', inFeatures: qDim, outFeatures: d },
    ];
  }

  protected mlpLinears(p: string): LinearModuleInfo[] {
    const c = this.config;
    return [
      { name: `${p}.mlp.gate_proj`, shortName: 'gate_proj', inFeatures: c.dModel, outFeatures: c.ffnDim },
      { name: `${p}.mlp.up_proj`, shortName: 'up_proj', inFeatures: c.dModel, outFeatures: c.ffnDim },
      { name: `${p}.mlp.down_proj`, shortName: 'down_proj', inFeatures: c.ffnDim, outFeatures: c.dModel },
    ];
  }

  linearModules(): LinearModuleInfo[] {
    const out: LinearModuleInfo[] = [];
    for (let i = 0; i < this.config.numLayers; i++) {
      const p = `model.layers.${i}`;
      out.push(...this.attentionLinears(p), ...this.mlpLinears(p));
    }
    return out;
  }

  /** q, k, v [batch·len, heads·headDim] of the normed input: one matMul over the concatenated weights (biases for Qwen2). */
  protected projectQkv(p: string, a: tf.Tensor2D): tf.Tensor2D[] {
    return this.fusedLinear([`${p}.self_attn.q_proj`, `${p}.self_attn.k_proj`, `${p}.self_attn.v_proj`], a, this.switches.qkvBias === true);
  }

  /** The MLP's gate and up projections, one matMul. */
  protected projectGateUp(p: string, m: tf.Tensor2D): tf.Tensor2D[] {
    return this.fusedLinear([`${p}.mlp.gate_proj`, `${p}.mlp.up_proj`], m, false);
  }

  /** Gemma scales the looked-up embeddings by √d (a soft prompt is prepended after, unscaled, as peft does). */
  protected embedTokens(ids: tf.Tensor2D): tf.Tensor3D {
    const e = super.embedTokens(ids);
    const scale = this.switches.embedScale;
    return scale !== undefined && scale !== 1 ? tf.mul(e, scale) : e;
  }

  /** Whether layer `i` masks keys outside the sliding window. */
  protected windowed(i: number): boolean {
    const s = this.switches;
    if (s.slidingWindow === undefined || s.slidingWindow === null) return false;
    return s.layerTypes ? s.layerTypes[i] === 'sliding_attention' : true;
  }

  protected encode({ embeds, mask, training }: EncodeInputs): tf.Tensor2D {
    const c = this.config;
    const s = this.switches;
    const [batch, len, d] = embeds.shape;
    const eps = c.layerNormEps;
    const offset = s.normOffset ?? 0;
    const theta = s.ropeTheta ?? 10000;
    const rotaryDim = s.rotaryDim ?? c.headDim;
    const act = s.gluActivation ?? 'silu';
    const attDrop = training ? ((c.extra.attentionDropout as number) ?? 0) : 0;
    const hidden = s.hiddenDropout ?? 0;
    let h = this.dropout(embeds.reshape([batch * len, d]) as tf.Tensor2D, s.embeddingDropout ?? 0, training);
    const window = s.slidingWindow ?? null;
    const causal = attentionBias(mask, 0, true);
    // The window only changes the mask of sequences longer than it.
    const windowBias = window !== null && window < len && Array.from({ length: c.numLayers }, (_, i) => this.windowed(i)).some(Boolean)
      ? attentionBias(mask, 0, true, window) : causal;
    const headNorm = (x: tf.Tensor2D, name: string, heads: number) =>
      rmsNorm(x.reshape([batch * len * heads, c.headDim]), this.w(name), eps, offset).reshape([batch * len, heads * c.headDim]) as tf.Tensor2D;
    for (let i = 0; i < c.numLayers; i++) {
      const layerWindow = this.windowed(i) ? window : null;
      const layerCausal = layerWindow !== null ? windowBias : causal;
      h = this.layerScope(h, i, `model.layers.${i}.`, [layerCausal, mask] as [tf.Tensor4D, tf.Tensor2D], (h, [bias, mask]) => {
        const p = `model.layers.${i}`;
        const a = rmsNorm(h, this.w(`${p}.input_layernorm.weight`), eps, offset) as tf.Tensor2D;
        let [q, k, v] = this.projectQkv(p, a);
        if (s.qkNorm) {
          q = headNorm(q, `${p}.self_attn.q_norm.weight`, c.numHeads);
          k = headNorm(k, `${p}.self_attn.k_norm.weight`, c.numKvHeads);
        }
        const qr = applyRotary(q, batch, len, c.numHeads, c.headDim, theta, rotaryDim);
        const kr = applyRotary(k, batch, len, c.numKvHeads, c.headDim, theta, rotaryDim);
        const { kh, vh, bias: layerBias } = withAttentionPrefix(
          this.hooks, i, batch, splitHeads(kr, batch, len, c.numKvHeads, c.headDim), splitHeads(v, batch, len, c.numKvHeads, c.headDim), bias, mask, true, layerWindow);
        const att = scaledDotProductAttention({ q: splitHeads(qr, batch, len, c.numHeads, c.headDim), k: kh, v: vh, bias: layerBias, dropout: attDrop });
        let o = this.linear(`${p}.self_attn.o_proj`, att, false);
        if (this.hooks?.afterAttention) o = this.hooks.afterAttention(i, o.reshape([batch, len, d]), training).reshape([batch * len, d]);
        h = residualAdd(h, this.dropout(o, hidden, training));
        const m = rmsNorm(h, this.w(`${p}.post_attention_layernorm.weight`), eps, offset) as tf.Tensor2D;
        const [gate, up] = this.projectGateUp(p, m);
        let f = this.linear(`${p}.mlp.down_proj`, glu(gate, up, act) as tf.Tensor2D, false);
        if (this.hooks?.afterFfn) f = this.hooks.afterFfn(i, f.reshape([batch, len, d]), training).reshape([batch * len, d]);
        h = residualAdd(h, this.dropout(f, hidden, training));
        return h;
      });
    }
    return rmsNorm(h, this.w('model.norm.weight'), eps, offset) as tf.Tensor2D;
  }

  protected hasTiedLmHead(): boolean {
    return this.tied;
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
