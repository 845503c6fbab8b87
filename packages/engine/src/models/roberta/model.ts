/**
 * RoBERTa: BERT's encoder under `roberta.`, with position ids counted past the padding index
 * (transformers' create_position_ids_from_input_ids: cumsum of the non-padding mask, + padding_idx,
 * padding itself at padding_idx), and RobertaClassificationHead (dense + tanh + out_proj on <s>)
 * instead of the pooler.
 */
import * as tf from '@tensorflow/tfjs';
import { BertModel } from '../bert/model.js';
import { embeddingLookup } from '../shared/ops.js';
import { linearSpecs, type WeightSpec } from '../shared/transformer-base.js';

export class RobertaModel extends BertModel {
  protected get basePrefix(): string {
    return 'roberta';
  }

  private get classifierDropout(): number {
    const x = this.config.extra;
    return (x.classifierDropout as number | null) ?? (x.hiddenDropout as number) ?? 0;
  }

  protected headSpecs(): WeightSpec[] {
    const c = this.config;
    const d = c.dModel;
    const std = this.std;
    const labels = c.numLabels ?? 2;
    if (this.head === 'sequence-classification') {
      return [
        ...linearSpecs('classifier.dense', d, d, { bias: true, std, role: 'head' }),
        ...linearSpecs('classifier.out_proj', d, labels, { bias: true, std, role: 'head' }),
      ];
    }
    return linearSpecs('classifier', d, labels, { bias: true, std, role: 'head' });
  }

  /**
   * Positions from the attention mask (1 = real token) rather than from the ids: for right-padded
   * rows the same numbers as transformers (real tokens padding_idx + 1, + 2, …; padding at
   * padding_idx), whatever id the padding holds; soft-prompt positions count as real tokens.
   */
  protected positionEmbeddings(_len: number, mask: tf.Tensor2D): tf.Tensor {
    const pad = ((this.config.extra.positionOffset as number) ?? 2) - 1;
    const ids = tf.add(tf.mul(tf.cumsum(mask, 1), mask), pad).cast('int32');
    return embeddingLookup(this.w(`${this.embeddingNames().position}.weight`) as tf.Tensor2D, ids);
  }

  protected headProjection(hidden: tf.Tensor2D): tf.Tensor2D {
    if (this.head === 'sequence-classification') return this.linear('classifier.out_proj', hidden);
    return this.linear('classifier', this.dropout(hidden, this.classifierDropout, this.training));
  }

  /** RobertaClassificationHead up to out_proj: tanh(dense(dropout(h[<s>]))), dropout. */
  protected poolSequence(tokens: tf.Tensor3D): tf.Tensor2D {
    const rate = this.classifierDropout;
    const x = this.dropout(this.firstToken(tokens), rate, this.training);
    return this.dropout(tf.tanh(this.linear('classifier.dense', x)) as tf.Tensor2D, rate, this.training);
  }
}
