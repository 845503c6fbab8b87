/**
 * BERT: word + position + token-type embeddings, post-LayerNorm encoder
 * blocks, exact-erf GELU; sequence classification through the pooler
 * (tanh dense on [CLS]) and a classifier.
 *
 * The BERT-shaped encoders subclass this: RoBERTa (`roberta/model.ts`: other prefix, positions
 * offset past padding_idx, its own classification head) and DistilBERT (`distilbert/model.ts`:
 * its own weight names, no token types, pre_classifier head). They override the name methods
 * and the head; the encoder body is this one.
 */
import * as tf from '@tensorflow/tfjs';
import { attentionBias, scaledDotProductAttention, splitHeads, withAttentionPrefix } from '../shared/attention.js';
import { embeddingLookup, layerNorm, residualAdd } from '../shared/ops.js';
import { linearSpecs, normSpecs, TransformerBase, type EncodeInputs, type LinearModuleInfo, type WeightSpec } from '../shared/transformer-base.js';

/** Module names (without `.weight` / `.bias`) of an encoder's embeddings. */
export interface EncoderEmbeddingNames {
  word: string;
  position: string;
  /** null: the family has no token types (DistilBERT). */
  tokenType: string | null;
  norm: string;
}

/** Module names of encoder layer i. */
export interface EncoderLayerNames {
  /** Module path prefix of the layer (e.g. `bert.encoder.layer.3`). */
  prefix: string;
  query: string;
  key: string;
  value: string;
  attentionOut: string;
  attentionNorm: string;
  intermediate: string;
  output: string;
  outputNorm: string;
}

export class BertModel extends TransformerBase {
  /** The checkpoint's base-model prefix (`bert`, `roberta`). */
  protected get basePrefix(): string {
    return 'bert';
  }

  protected get tokenEmbeddingName(): string {
    return `${this.embeddingNames().word}.weight`;
  }

  protected get std(): number {
    return (this.config.extra.initializerRange as number) ?? 0.02;
  }

  protected embeddingNames(): EncoderEmbeddingNames {
    const e = `${this.basePrefix}.embeddings`;
    return { word: `${e}.word_embeddings`, position: `${e}.position_embeddings`, tokenType: `${e}.token_type_embeddings`, norm: `${e}.LayerNorm` };
  }

  protected layerNames(i: number): EncoderLayerNames {
    const p = `${this.basePrefix}.encoder.layer.${i}`;
    return {
      prefix: p,
      query: `${p}.attention.self.query`,
      key: `${p}.attention.self.key`,
      value: `${p}.attention.self.value`,
      attentionOut: `${p}.attention.output.dense`,
      attentionNorm: `${p}.attention.output.LayerNorm`,
      intermediate: `${p}.intermediate.dense`,
      output: `${p}.output.dense`,
      outputNorm: `${p}.output.LayerNorm`,
    };
  }

  /** Rows of the position table: maxPositions plus RoBERTa's offset (padding_idx + 1). */
  protected get positionRows(): number {
    return this.config.maxPositions + ((this.config.extra.positionOffset as number) ?? 0);
  }

  /** Head weights: BERT's pooler (sequence classification) and classifier. */
  protected headSpecs(): WeightSpec[] {
    const c = this.config;
    const d = c.dModel;
    const std = this.std;
    const labels = c.numLabels ?? 2;
    const specs: WeightSpec[] = [];
    if (this.head === 'sequence-classification') specs.push(...linearSpecs('bert.pooler.dense', d, d, { bias: true, std, role: 'head' }));
    specs.push(...linearSpecs('classifier', d, labels, { bias: true, std, role: 'head' }));
    return specs;
  }

  weightSpecs(): WeightSpec[] {
    const c = this.config;
    const std = this.std;
    const d = c.dModel;
    const table = (name: string, rows: number): WeightSpec => ({ name: `${name}.weight`, shape: [rows, d], init: { kind: 'normal', std }, transposedInCheckpoint: false, role: 'base' });
    const e = this.embeddingNames();
    const specs: WeightSpec[] = [table(e.word, c.vocabSize), table(e.position, this.positionRows)];
    if (e.tokenType) specs.push(table(e.tokenType, (c.extra.typeVocabSize as number) ?? 2));
    specs.push(...normSpecs(e.norm, d, true));
    for (let i = 0; i < c.numLayers; i++) {
      const n = this.layerNames(i);
      specs.push(
        ...linearSpecs(n.query, d, d, { bias: true, std }),
        ...linearSpecs(n.key, d, d, { bias: true, std }),
        ...linearSpecs(n.value, d, d, { bias: true, std }),
        ...linearSpecs(n.attentionOut, d, d, { bias: true, std }),
        ...normSpecs(n.attentionNorm, d, true),
        ...linearSpecs(n.intermediate, d, c.ffnDim, { bias: true, std }),
        ...linearSpecs(n.output, c.ffnDim, d, { bias: true, std }),
        ...normSpecs(n.outputNorm, d, true),
      );
    }
    specs.push(...this.headSpecs());
    return specs;
  }

  /** Short names are the modules' last path segment (`query`, `dense`; DistilBERT's `q_lin`, `lin1`). */
  linearModules(): LinearModuleInfo[] {
    const c = this.config;
    const d = c.dModel;
    const out: LinearModuleInfo[] = [];
    const info = (name: string, inFeatures: number, outFeatures: number): LinearModuleInfo => ({ name, shortName: name.slice(name.lastIndexOf('.') + 1), inFeatures, outFeatures });
    for (let i = 0; i < c.numLayers; i++) {
      const n = this.layerNames(i);
      out.push(
        info(n.query, d, d), info(n.key, d, d), info(n.value, d, d), info(n.attentionOut, d, d),
        info(n.intermediate, d, c.ffnDim), info(n.output, c.ffnDim, d),
      );
    }
    return out;
  }

  /** Position embeddings [len, d] (or [batch, len, d]): BERT's positions are 0..len-1. */
  protected positionEmbeddings(len: number, _mask: tf.Tensor2D): tf.Tensor {
    return embeddingLookup(this.w(`${this.embeddingNames().position}.weight`) as tf.Tensor2D, tf.range(0, len, 1, 'int32'));
  }

  protected encode({ embeds, mask, tokenTypeIds, training }: EncodeInputs): tf.Tensor2D {
    const c = this.config;
    const x = c.extra;
    const [batch, len, d] = embeds.shape;
    const eps = c.layerNormEps;
    const hidden = (x.hiddenDropout as number) ?? 0;
    // DistilBERT has no dropout on the attention output (only on its probabilities and the FFN).
    const attentionOutDropout = x.attentionOutputDropout === false ? 0 : hidden;
    const e = this.embeddingNames();
    let sum = tf.add(embeds, this.positionEmbeddings(len, mask));
    if (e.tokenType) {
      const typeTable = this.w(`${e.tokenType}.weight`) as tf.Tensor2D;
      // Absent token types are all zero: add row 0 once instead of a lookup.
      sum = tf.add(sum, tokenTypeIds ? embeddingLookup(typeTable, tokenTypeIds) : tf.slice(typeTable, [0, 0], [1, d]));
    }
    let h = sum.reshape([batch * len, d]) as tf.Tensor2D;
    h = layerNorm(h, this.w(`${e.norm}.weight`), this.w(`${e.norm}.bias`), eps) as tf.Tensor2D;
    h = this.dropout(h, hidden, training);
    const bias = attentionBias(mask, 0, false);
    for (let i = 0; i < c.numLayers; i++) {
      const n = this.layerNames(i);
      h = this.layerScope(h, i, `${n.prefix}.`, [bias, mask] as [tf.Tensor4D, tf.Tensor2D], (h, [bias, mask]) => {
        const [q, k, v] = this.fusedLinear([n.query, n.key, n.value], h, true);
        const { kh, vh, bias: layerBias } = withAttentionPrefix(
          this.hooks, i, batch, splitHeads(k, batch, len, c.numHeads, c.headDim), splitHeads(v, batch, len, c.numHeads, c.headDim), bias, mask, false);
        const att = scaledDotProductAttention({
          q: splitHeads(q, batch, len, c.numHeads, c.headDim), k: kh, v: vh, bias: layerBias,
          dropout: training ? (x.attentionDropout as number) : 0,
        });
        let o = this.linear(n.attentionOut, att);
        if (this.hooks?.afterAttention) o = this.hooks.afterAttention(i, o.reshape([batch, len, d]), training).reshape([batch * len, d]);
        h = layerNorm(residualAdd(this.dropout(o, attentionOutDropout, training), h), this.w(`${n.attentionNorm}.weight`), this.w(`${n.attentionNorm}.bias`), eps) as tf.Tensor2D;
        const inter = this.linearActivation(n.intermediate, h, x.activation as string);
        let f = this.linear(n.output, inter);
        if (this.hooks?.afterFfn) f = this.hooks.afterFfn(i, f.reshape([batch, len, d]), training).reshape([batch * len, d]);
        h = layerNorm(residualAdd(this.dropout(f, hidden, training), h), this.w(`${n.outputNorm}.weight`), this.w(`${n.outputNorm}.bias`), eps) as tf.Tensor2D;
        return h;
      });
    }
    return h;
  }

  protected headProjection(hidden: tf.Tensor2D): tf.Tensor2D {
    return this.linear('classifier', hidden);
  }

  /** The first token's state [batch, d] ([CLS] / <s>; with a soft prompt, still the first real token). */
  protected firstToken(tokens: tf.Tensor3D): tf.Tensor2D {
    const [batch, , d] = tokens.shape;
    return tf.slice(tokens, [0, 0, 0], [batch, 1, d]).reshape([batch, d]) as tf.Tensor2D;
  }

  /** The pooler: tanh(dense(h[CLS])). */
  protected poolSequence(tokens: tf.Tensor3D): tf.Tensor2D {
    return tf.tanh(this.linear('bert.pooler.dense', this.firstToken(tokens))) as tf.Tensor2D;
  }
}
