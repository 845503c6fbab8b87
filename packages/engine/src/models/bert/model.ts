/**
 * BERT: word + position + token-type embeddings, post-LayerNorm encoder
 * blocks, exact-erf GELU; sequence classification through the pooler
 * (tanh dense on [CLS]) and a classifier.
 */
import * as tf from '@tensorflow/tfjs';
import { attentionBias, scaledDotProductAttention, splitHeads, withAttentionPrefix } from '../shared/attention.js';
import { embeddingLookup, layerNorm, residualAdd } from '../shared/ops.js';
import { linearSpecs, normSpecs, TransformerBase, type EncodeInputs, type LinearModuleInfo, type WeightSpec } from '../shared/transformer-base.js';

export class BertModel extends TransformerBase {
  protected readonly tokenEmbeddingName = 'bert.embeddings.word_embeddings.weight';

  weightSpecs(): WeightSpec[] {
    const c = this.config;
    const std = (c.extra.initializerRange as number) ?? 0.02;
    const d = c.dModel;
    const table = (name: string, rows: number): WeightSpec => ({ name, shape: [rows, d], init: { kind: 'normal', std }, transposedInCheckpoint: false, role: 'base' });
    const specs: WeightSpec[] = [
      table('bert.embeddings.word_embeddings.weight', c.vocabSize),
      table('bert.embeddings.position_embeddings.weight', c.maxPositions),
      table('bert.embeddings.token_type_embeddings.weight', (c.extra.typeVocabSize as number) ?? 2),
      ...normSpecs('bert.embeddings.LayerNorm', d, true),
    ];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `bert.encoder.layer.${i}`;
      specs.push(
        ...linearSpecs(`${p}.attention.self.query`, d, d, { bias: true, std }),
        ...linearSpecs(`${p}.attention.self.key`, d, d, { bias: true, std }),
        ...linearSpecs(`${p}.attention.self.value`, d, d, { bias: true, std }),
        ...linearSpecs(`${p}.attention.output.dense`, d, d, { bias: true, std }),
        ...normSpecs(`${p}.attention.output.LayerNorm`, d, true),
        ...linearSpecs(`${p}.intermediate.dense`, d, c.ffnDim, { bias: true, std }),
        ...linearSpecs(`${p}.output.dense`, c.ffnDim, d, { bias: true, std }),
        ...normSpecs(`${p}.output.LayerNorm`, d, true),
      );
    }
    const labels = c.numLabels ?? 2;
    if (this.head === 'sequence-classification') {
      specs.push(...linearSpecs('bert.pooler.dense', d, d, { bias: true, std, role: 'head' }));
    }
    specs.push(...linearSpecs('classifier', d, labels, { bias: true, std, role: 'head' }));
    return specs;
  }

  linearModules(): LinearModuleInfo[] {
    const c = this.config;
    const d = c.dModel;
    const out: LinearModuleInfo[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `bert.encoder.layer.${i}`;
      out.push(
        { name: `${p}.attention.self.query`, shortName: 'query', inFeatures: d, outFeatures: d },
        { name: `${p}.attention.self.key`, shortName: 'key', inFeatures: d, outFeatures: d },
        { name: `${p}.attention.self.value`, shortName: 'value', inFeatures: d, outFeatures: d },
        { name: `${p}.attention.output.dense`, shortName: 'dense', inFeatures: d, outFeatures: d },
        { name: `${p}.intermediate.dense`, shortName: 'dense', inFeatures: d, outFeatures: c.ffnDim },
        { name: `${p}.output.dense`, shortName: 'dense', inFeatures: c.ffnDim, outFeatures: d },
      );
    }
    return out;
  }

  protected encode({ embeds, mask, tokenTypeIds, training }: EncodeInputs): tf.Tensor2D {
    const c = this.config;
    const x = c.extra;
    const [batch, len, d] = embeds.shape;
    const eps = c.layerNormEps;
    const hidden = (x.hiddenDropout as number) ?? 0;
    const positions = embeddingLookup(this.w('bert.embeddings.position_embeddings.weight') as tf.Tensor2D, tf.range(0, len, 1, 'int32'));
    const typeTable = this.w('bert.embeddings.token_type_embeddings.weight') as tf.Tensor2D;
    // Absent token types are all zero: add row 0 once instead of a lookup.
    const types = tokenTypeIds ? embeddingLookup(typeTable, tokenTypeIds) : tf.slice(typeTable, [0, 0], [1, d]);
    let h = tf.add(tf.add(embeds, positions), types).reshape([batch * len, d]) as tf.Tensor2D;
    h = layerNorm(h, this.w('bert.embeddings.LayerNorm.weight'), this.w('bert.embeddings.LayerNorm.bias'), eps) as tf.Tensor2D;
    h = this.dropout(h, hidden, training);
    const bias = attentionBias(mask, 0, false);
    for (let i = 0; i < c.numLayers; i++) {
      h = this.layerScope(h, i, `bert.encoder.layer.${i}.`, [bias, mask] as [tf.Tensor4D, tf.Tensor2D], (h, [bias, mask]) => {
        const p = `bert.encoder.layer.${i}`;
        const [q, k, v] = this.fusedLinear([`${p}.attention.self.query`, `${p}.attention.self.key`, `${p}.attention.self.value`], h, true);
        const { kh, vh, bias: layerBias } = withAttentionPrefix(
          this.hooks, i, batch, splitHeads(k, batch, len, c.numHeads, c.headDim), splitHeads(v, batch, len, c.numHeads, c.headDim), bias, mask, false);
        const att = scaledDotProductAttention({
          q: splitHeads(q, batch, len, c.numHeads, c.headDim), k: kh, v: vh, bias: layerBias,
          dropout: training ? (x.attentionDropout as number) : 0,
        });
        let o = this.linear(`${p}.attention.output.dense`, att);
        if (this.hooks?.afterAttention) o = this.hooks.afterAttention(i, o.reshape([batch, len, d]), training).reshape([batch * len, d]);
        h = layerNorm(residualAdd(this.dropout(o, hidden, training), h), this.w(`${p}.attention.output.LayerNorm.weight`), this.w(`${p}.attention.output.LayerNorm.bias`), eps) as tf.Tensor2D;
        const inter = this.linearActivation(`${p}.intermediate.dense`, h, x.activation as string);
        let f = this.linear(`${p}.output.dense`, inter);
        if (this.hooks?.afterFfn) f = this.hooks.afterFfn(i, f.reshape([batch, len, d]), training).reshape([batch * len, d]);
        h = layerNorm(residualAdd(this.dropout(f, hidden, training), h), this.w(`${p}.output.LayerNorm.weight`), this.w(`${p}.output.LayerNorm.bias`), eps) as tf.Tensor2D;
        return h;
      });
    }
    return h;
  }

  protected headProjection(hidden: tf.Tensor2D): tf.Tensor2D {
    return this.linear('classifier', hidden);
  }

  /** The pooler: tanh(dense(h[CLS])). With a soft prompt, [CLS] is still the first real token. */
  protected poolSequence(tokens: tf.Tensor3D): tf.Tensor2D {
    const [batch, , d] = tokens.shape;
    const cls = tf.slice(tokens, [0, 0, 0], [batch, 1, d]).reshape([batch, d]) as tf.Tensor2D;
    return tf.tanh(this.linear('bert.pooler.dense', cls)) as tf.Tensor2D;
  }
}
