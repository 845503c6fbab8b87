/**
 * Phi-3: Llama with q|k|v in one `qkv_proj` and gate|up in one `gate_up_proj` weight, kept
 * fused (one linear module each, so LoRA targets `qkv_proj` / `gate_up_proj` by name as peft
 * does) and split after the product. Partial rotary and residual dropout are switches of
 * LlamaModel (`phi3/config.ts`).
 */
import * as tf from '@tensorflow/tfjs';
import { LlamaModel } from '../llama/model.js';
import { linearSpecs, type LinearModuleInfo, type WeightSpec } from '../shared/transformer-base.js';

export class Phi3Model extends LlamaModel {
  private get dims() {
    const c = this.config;
    return { d: c.dModel, qDim: c.numHeads * c.headDim, kvDim: c.numKvHeads * c.headDim, f: c.ffnDim };
  }

  protected attentionSpecs(p: string): WeightSpec[] {
    const { d, qDim, kvDim } = this.dims;
    return [
      ...linearSpecs(`${p}.self_attn.qkv_proj`, d, qDim + 2 * kvDim, { bias: false, std: this.std }),
      ...linearSpecs(`${p}.self_attn.o_proj`, qDim, d, { bias: false, std: this.std }),
    ];
  }

  protected mlpSpecs(p: string): WeightSpec[] {
    const { d, f } = this.dims;
    return [
      ...linearSpecs(`${p}.mlp.gate_up_proj`, d, 2 * f, { bias: false, std: this.std }),
      ...linearSpecs(`${p}.mlp.down_proj`, f, d, { bias: false, std: this.std }),
    ];
  }

  protected attentionLinears(p: string): LinearModuleInfo[] {
    const { d, qDim, kvDim } = this.dims;
    return [
      { name: `${p}.self_attn.qkv_proj`, shortName: 'qkv_proj', inFeatures: d, outFeatures: qDim + 2 * kvDim },
      { name: `${p}.self_attn.o_proj`, shortName: 'o_proj', inFeatures: qDim, outFeatures: d },
    ];
  }

  protected mlpLinears(p: string): LinearModuleInfo[] {
    const { d, f } = this.dims;
    return [
      { name: `${p}.mlp.gate_up_proj`, shortName: 'gate_up_proj', inFeatures: d, outFeatures: 2 * f },
      { name: `${p}.mlp.down_proj`, shortName: 'down_proj', inFeatures: f, outFeatures: d },
    ];
  }

  /** transformers: query = qkv[..., :qDim], key the next kvDim, value the rest. */
  protected projectQkv(p: string, a: tf.Tensor2D): tf.Tensor2D[] {
    const { qDim, kvDim } = this.dims;
    return tf.split(this.linear(`${p}.self_attn.qkv_proj`, a, false), [qDim, kvDim, kvDim], 1) as tf.Tensor2D[];
  }

  /** transformers: gate, up = gate_up.chunk(2, dim=-1). */
  protected projectGateUp(p: string, m: tf.Tensor2D): tf.Tensor2D[] {
    return tf.split(this.linear(`${p}.mlp.gate_up_proj`, m, false), 2, 1) as tf.Tensor2D[];
  }
}
