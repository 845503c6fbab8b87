/**
 * Local Hugging Face model directories: config.json + model.safetensors (or a
 * sharded index) + tokenizer.json, read into a TransformerModel and written
 * back in a form transformers' `from_pretrained` loads.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointFormatError, MissingWeightError, UnsupportedConfigError, WeightShapeError } from '../errors.js';
import { headFromHfConfig, instantiateModel, normalizeHfConfig, toHfConfig } from '../models/registry.js';
import { initialWeight, nextId } from '../models/shared/init.js';
import { checkpointShape, type TransformerBase, type WeightSpec } from '../models/shared/transformer-base.js';
import type { HeadKind, NormalizedConfig, SequencePooling, TransformerModel } from '../types.js';
import { CheckpointReader, writeSafetensors, type HostTensor } from './safetensors.js';
import type { FrozenWeightCache } from './frozen-weights.js';
import { hostCopyReleaser } from '../native/host-copies.js';
import { loadTokenizer, saveTokenizer, type HfTokenizer } from './tokenizer.js';

export interface LoadHfModelOptions {
  /** Head to build; defaults to the checkpoint's own (from `architectures`). */
  head?: HeadKind;
  /** Labels for a classification head; defaults to the checkpoint's id2label/num_labels, else 2. */
  numLabels?: number;
  /** Seed for head weights the checkpoint lacks (another head was saved). */
  seed?: number;
  /** Decoder sequence-classification pooling (default 'last', as transformers). */
  pooling?: SequencePooling;
  /**
   * Borrow the checkpoint's weights from this cache (read once per process, shared by every
   * model loaded with it) instead of loading a copy. Only for models whose base stays frozen:
   * attaching full fine-tuning to such a model is refused.
   */
  frozenWeights?: FrozenWeightCache;
}

export interface LoadedHfModel {
  model: TransformerModel;
  /** null when the directory has no tokenizer.json. */
  tokenizer: HfTokenizer | null;
  config: NormalizedConfig;
}

export function readHfConfig(dir: string): Record<string, any> {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new CheckpointFormatError(`${dir}: config.json is missing`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

/**
 * Loads a local Hugging Face checkpoint directory.
 * @example const { model, tokenizer } = loadHfModel('test-fixtures/gpt2-tiny');
 * @throws UnsupportedConfigError naming the config key, WeightShapeError naming
 *   the tensor and both shapes, MissingWeightError naming the tensor.
 */
export function loadHfModel(dir: string, opts: LoadHfModelOptions = {}): LoadedHfModel {
  const raw = readHfConfig(dir);
  const config = normalizeHfConfig(raw);
  const savedHead = headFromHfConfig(raw);
  const head = opts.head ?? savedHead;
  if (opts.numLabels !== undefined) config.numLabels = opts.numLabels;
  if (head !== 'causal-lm' && config.numLabels === undefined) config.numLabels = 2;
  if (opts.pooling !== undefined) config.pooling = opts.pooling;
  config.extra.sourceConfig = raw;
  const reader = new CheckpointReader(dir);
  const model = instantiateModel(config, head);
  const lease = opts.frozenWeights?.acquire(dir);
  if (lease) model.holdLease(lease);
  const hostCopies = hostCopyReleaser();
  const variable = (value: tf.Tensor, name: string) => {
    hostCopies.adopt(value);
    const v = tf.variable(value, false, `${name}#${nextId()}`);
    value.dispose();
    return v;
  };
  try {
    model.weightSpecs().forEach((spec, i) => {
      const name = checkpointName(reader, spec, dir);
      if (name === null) {
        // Head weights the checkpoint lacks (a causal-LM checkpoint fine-tuned as a classifier) start random, as in transformers.
        model.weights.set(spec.name, variable(initialWeight(spec, opts.seed ?? 0, i), spec.name));
      } else if (lease) {
        const v = lease.get(spec.name, () => variable(readWeight(reader, spec, name), spec.name));
        model.weights.set(spec.name, v);
        model.borrowed.add(v);
      } else {
        model.weights.set(spec.name, variable(readWeight(reader, spec, name), spec.name));
      }
    });
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    hostCopies.flush();
  }
  const tokenizer = existsSync(join(dir, 'tokenizer.json')) ? loadTokenizer(dir) : null;
  return { model, tokenizer, config };
}

/** A spec's tensor name in the checkpoint (also without the base prefix, as in the original `gpt2` checkpoint); null for absent head weights. */
function checkpointName(reader: CheckpointReader, spec: WeightSpec, dir: string): string | null {
  const bare = spec.name.replace(/^(transformer|model|bert)\./, '');
  const name = reader.has(spec.name) ? spec.name : reader.has(bare) ? bare : null;
  if (name === null && spec.role !== 'head') throw new MissingWeightError(spec.name, dir);
  return name;
}

/** Checkpoint tensor `name` in the engine's layout for `spec`. */
function readWeight(reader: CheckpointReader, spec: WeightSpec, name: string): tf.Tensor {
  const expected = checkpointShape(spec);
  const actual = reader.shape(name);
  if (expected.length !== actual.length || expected.some((n, i) => n !== actual[i])) throw new WeightShapeError(name, expected, actual);
  const host = reader.get(name);
  const t = tf.tensor(host.data, host.shape);
  if (!spec.transposedInCheckpoint) return t;
  const out = tf.transpose(t);
  t.dispose();
  return out;
}

/** The model's weights in checkpoint layout ([out, in] for nn.Linear), read to host memory. */
export function hfStateDict(model: TransformerModel): Map<string, HostTensor> {
  const specs = new Map((model as TransformerBase).weightSpecs().map((s) => [s.name, s]));
  const out = new Map<string, HostTensor>();
  for (const [name, v] of model.weights) {
    const spec = specs.get(name);
    const t = spec?.transposedInCheckpoint ? tf.transpose(v) : v;
    out.set(name, { shape: t.shape, data: t.dataSync() as Float32Array });
    if (t !== v) t.dispose();
  }
  return out;
}

/**
 * Writes config.json + model.safetensors (+ tokenizer.json/tokenizer_config.json)
 * that transformers' `AutoModelFor….from_pretrained(dir)` loads.
 */
export function saveHfModel(model: TransformerModel, tokenizer: HfTokenizer | null, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(hfConfigJson(model), null, 2));
  writeSafetensors(join(dir, 'model.safetensors'), hfStateDict(model));
  if (tokenizer) saveTokenizer(tokenizer, dir);
}

/**
 * The config.json transformers loads `model` with: the loaded config.json, its architecture and
 * label keys set for the model's head.
 * @throws UnsupportedConfigError when no model_type is known.
 */
export function hfConfigJson(model: TransformerModel): Record<string, any> {
  // The loaded config.json, minus our pooling key: toHfConfig writes it again if the model still uses it.
  const { peft_lab_pooling: _pooling, ...source } = (model.config.extra.sourceConfig as Record<string, unknown> | undefined) ?? {};
  const config = { ...source, ...toHfConfig(model.config, model.head) };
  if (model.head === 'causal-lm') {
    delete config.id2label;
    delete config.label2id;
    delete config.num_labels;
  } else {
    delete config.num_labels;
  }
  if (!config.model_type) throw new UnsupportedConfigError('model_type', config.model_type);
  return config;
}
