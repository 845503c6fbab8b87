/**
 * DistilBERT: BERT's post-LayerNorm encoder under its own names (q_lin/k_lin/v_lin/out_lin,
 * ffn.lin1/lin2, sa_layer_norm, output_layer_norm), word + position embeddings only (no token
 * types), no dropout on the attention output; sequence classification is
 * pre_classifier + ReLU + dropout + classifier on [CLS].
 */
import * as tf from '@tensorflow/tfjs';
import { BertModel, type EncoderEmbeddingNames, type EncoderLayerNames } from '../bert/model.js';
import { linearSpecs, type WeightSpec } from '../shared/transformer-base.js';

export class DistilBertModel extends BertModel {
  protected get basePrefix(): string {
    return 'distilbert';
  }

  protected embeddingNames(): EncoderEmbeddingNames {
    const e = 'distilbert.embeddings';
    return { word: `${e}.word_embeddings`, position: `${e}.position_embeddings`, tokenType: null, norm: `${e}.LayerNorm` };
  }

  protected layerNames(i: number): EncoderLayerNames {
    const p = `distilbert.transformer.layer.${i}`;
    return {
      prefix: p,
      query: `${p}.attention.q_lin`,
      key: `${p}.attention.k_lin`,
      value: `${p}.attention.v_lin`,
      attentionOut: `${p}.attention.out_lin`,
      attentionNorm: `${p}.sa_layer_norm`,
      intermediate: `${p}.ffn.lin1`,
      output: `${p}.ffn.lin2`,
      outputNorm: `${p}.output_layer_norm`,
    };
  }

  protected headSpecs(): WeightSpec[] {
    const c = this.config;
    const d = c.dModel;
    const std = this.std;
    const specs: WeightSpec[] = [];
    if (this.head === 'sequence-classification') specs.push(...linearSpecs('pre_classifier', d, d, { bias: true, std, role: 'head' }));
    specs.push(...linearSpecs('classifier', d, c.numLabels ?? 2, { bias: true, std, role: 'head' }));
    return specs;
  }

  /** Token classification: dropout (config `dropout`) then classifier; sequence classification: classifier on the pooled state. */
  protected headProjection(hidden: tf.Tensor2D): tf.Tensor2D {
    if (this.head === 'sequence-classification') return this.linear('classifier', hidden);
    return this.linear('classifier', this.dropout(hidden, (this.config.extra.hiddenDropout as number) ?? 0, this.training));
  }

  /** dropout(relu(pre_classifier(h[CLS]))) with seq_classif_dropout. */
  protected poolSequence(tokens: tf.Tensor3D): tf.Tensor2D {
    const pooled = tf.relu(this.linear('pre_classifier', this.firstToken(tokens))) as tf.Tensor2D;
    return this.dropout(pooled, (this.config.extra.classifierDropout as number) ?? 0, this.training);
  }
}
