/**
 * The one base model a server holds. Its weights are read once into a FrozenWeightCache (as the
 * worker does across a sweep's trials) and lent to one model per head: a sequence-classification
 * adapter, a token-classification one and a causal-LM one each need their head, but share every
 * base weight. Adapters attach to the model of their head (`model(head, numLabels, pooling)`).
 */
import { FrozenWeightCache, loadHfModel, readHfConfig, type HeadKind, type HfTokenizer, type SequencePooling } from '@peft-lab/engine';
import { PeftLabError } from '@peft-lab/errors';
import { baseModelAliases } from './load-adapter.js';

type TransformerModel = ReturnType<typeof loadHfModel>['model'];

export interface ServedModelOptions {
  /** Hugging Face checkpoint directory (config.json, model.safetensors, tokenizer.json). */
  dir: string;
  /** What clients and adapter configs call it (`builtin`, a registered name, the directory). */
  name: string;
}

/** Key of one head's model: a classification head is built per label count and pooling. */
const viewKey = (head: HeadKind, numLabels?: number, pooling?: SequencePooling, seed?: number) => `${head}|${numLabels ?? ''}|${pooling ?? ''}|${seed ?? 0}`;

export class ServedModel {
  readonly dir: string;
  readonly name: string;
  readonly tokenizer: HfTokenizer;
  readonly aliases: Set<string>;
  /** Positions the model takes (config max_position_embeddings / n_positions). */
  readonly maxPositions: number;
  /** Milliseconds the first load took (reading and converting the checkpoint). */
  readonly loadMs: number;
  private readonly frozen = new FrozenWeightCache();
  private readonly views = new Map<string, TransformerModel>();

  /** @throws the engine's checkpoint errors (CLI input: the model cannot be served). */
  constructor(o: ServedModelOptions) {
    this.dir = o.dir;
    this.name = o.name;
    const t0 = performance.now();
    // The checkpoint's own head first (an encoder such as BERT has no causal-LM head).
    const { model, tokenizer } = loadHfModel(o.dir, { frozenWeights: this.frozen });
    this.loadMs = performance.now() - t0;
    if (!tokenizer) {
      model.dispose();
      throw new PeftLabError('SERVE_NO_TOKENIZER', `--model ${o.dir}: tokenizer.json is missing (the server tokenizes the texts it is sent)`);
    }
    this.tokenizer = tokenizer;
    this.views.set(model.head === 'causal-lm' ? viewKey('causal-lm') : viewKey(model.head, model.config.numLabels, undefined, 0), model);
    this.maxPositions = model.config.maxPositions;
    this.aliases = baseModelAliases(o.name, o.dir, readHfConfig(o.dir));
  }

  /**
   * The causal-LM model (the checkpoint as pretrained), built on first use.
   * @throws UnsupportedConfigError for a family without a causal-LM head (BERT, RoBERTa, DistilBERT)
   */
  get base(): TransformerModel {
    return this.model('causal-lm');
  }

  /**
   * The model with `head` over the shared base weights, built on first use. A classification head
   * the checkpoint lacks starts from `seed` (transformers' init), as in the trial that trained the adapter.
   */
  model(head: HeadKind, numLabels?: number, pooling?: SequencePooling, seed?: number): TransformerModel {
    const key = head === 'causal-lm' ? viewKey(head) : viewKey(head, numLabels, pooling, seed ?? 0);
    let m = this.views.get(key);
    if (!m) {
      m = loadHfModel(this.dir, { head, numLabels, pooling, seed, frozenWeights: this.frozen }).model;
      this.views.set(key, m);
    }
    return m;
  }

  dispose(): void {
    for (const m of this.views.values()) m.dispose();
    this.views.clear();
    this.frozen.clear();
  }
}
