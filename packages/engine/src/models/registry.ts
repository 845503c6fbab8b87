/**
 * `model_type` → family: config normalisation, the config.json written back
 * on save, the transformers architecture name per head, and the model class.
 * Adding a family = one entry here plus a folder beside this file.
 */
import { UnsupportedConfigError } from '../errors.js';
import type { HeadKind, ModelFamily, NormalizedConfig } from '../types.js';
import { BERT_ARCHITECTURES, bertHfConfig, normalizeBertConfig } from './bert/config.js';
import { BertModel } from './bert/model.js';
import { GPT2_ARCHITECTURES, gpt2HfConfig, normalizeGpt2Config } from './gpt2/config.js';
import { Gpt2Model } from './gpt2/model.js';
import { DISTILBERT_ARCHITECTURES, distilBertHfConfig, normalizeDistilBertConfig } from './distilbert/config.js';
import { DistilBertModel } from './distilbert/model.js';
import { GEMMA_ARCHITECTURES, gemmaHfConfig, normalizeGemmaConfig } from './gemma/config.js';
import { LLAMA_ARCHITECTURES, llamaHfConfig, normalizeLlamaConfig } from './llama/config.js';
import { LlamaModel } from './llama/model.js';
import { MISTRAL_ARCHITECTURES, mistralHfConfig, normalizeMistralConfig } from './mistral/config.js';
import { normalizePhi3Config, PHI3_ARCHITECTURES, phi3HfConfig } from './phi3/config.js';
import { Phi3Model } from './phi3/model.js';
import { normalizeQwen2Config, QWEN2_ARCHITECTURES, qwen2HfConfig } from './qwen2/config.js';
import { normalizeQwen3Config, QWEN3_ARCHITECTURES, qwen3HfConfig } from './qwen3/config.js';
import { normalizeRobertaConfig, ROBERTA_ARCHITECTURES, robertaHfConfig } from './roberta/config.js';
import { RobertaModel } from './roberta/model.js';
import { initializeWeights } from './shared/init.js';
import type { TransformerBase } from './shared/transformer-base.js';

interface FamilyEntry {
  normalize(raw: Record<string, any>): NormalizedConfig;
  hfConfig(config: NormalizedConfig): Record<string, unknown>;
  architectures: Partial<Record<HeadKind, string>>;
  create(config: NormalizedConfig, head: HeadKind): TransformerBase;
}

const FAMILIES: Record<ModelFamily, FamilyEntry> = {
  gpt2: { normalize: normalizeGpt2Config, hfConfig: gpt2HfConfig, architectures: GPT2_ARCHITECTURES, create: (c, h) => new Gpt2Model(c, h) },
  bert: { normalize: normalizeBertConfig, hfConfig: bertHfConfig, architectures: BERT_ARCHITECTURES, create: (c, h) => new BertModel(c, h) },
  llama: { normalize: normalizeLlamaConfig, hfConfig: llamaHfConfig, architectures: LLAMA_ARCHITECTURES, create: (c, h) => new LlamaModel(c, h) },
  // Llama-shaped decoders: LlamaModel with the switches their config.ts sets (Phi-3 keeps its fused weights).
  qwen2: { normalize: normalizeQwen2Config, hfConfig: qwen2HfConfig, architectures: QWEN2_ARCHITECTURES, create: (c, h) => new LlamaModel(c, h) },
  qwen3: { normalize: normalizeQwen3Config, hfConfig: qwen3HfConfig, architectures: QWEN3_ARCHITECTURES, create: (c, h) => new LlamaModel(c, h) },
  mistral: { normalize: normalizeMistralConfig, hfConfig: mistralHfConfig, architectures: MISTRAL_ARCHITECTURES, create: (c, h) => new LlamaModel(c, h) },
  gemma: { normalize: normalizeGemmaConfig, hfConfig: gemmaHfConfig, architectures: GEMMA_ARCHITECTURES, create: (c, h) => new LlamaModel(c, h) },
  phi3: { normalize: normalizePhi3Config, hfConfig: phi3HfConfig, architectures: PHI3_ARCHITECTURES, create: (c, h) => new Phi3Model(c, h) },
  // BERT-shaped encoders: BertModel subclasses with their own names and heads.
  roberta: { normalize: normalizeRobertaConfig, hfConfig: robertaHfConfig, architectures: ROBERTA_ARCHITECTURES, create: (c, h) => new RobertaModel(c, h) },
  distilbert: { normalize: normalizeDistilBertConfig, hfConfig: distilBertHfConfig, architectures: DISTILBERT_ARCHITECTURES, create: (c, h) => new DistilBertModel(c, h) },
};

const MODEL_TYPES: Record<string, ModelFamily> = Object.fromEntries(Object.keys(FAMILIES).map((f) => [f, f as ModelFamily]));

export const SUPPORTED_MODEL_TYPES = Object.keys(MODEL_TYPES);

function familyEntry(family: ModelFamily): FamilyEntry {
  const entry = FAMILIES[family];
  if (!entry) throw new UnsupportedConfigError('family', family, `supported: ${Object.keys(FAMILIES).join(', ')}`);
  return entry;
}

/** Renames a Hugging Face config.json's family keys once (n_embd → dModel …); rejects what the engine cannot run. */
export function normalizeHfConfig(raw: Record<string, any>): NormalizedConfig {
  const family = MODEL_TYPES[raw.model_type];
  if (!family) throw new UnsupportedConfigError('model_type', raw.model_type, `supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  const config = familyEntry(family).normalize(raw);
  // Our own key: a model fine-tuned with mean pooling reloads with it (transformers ignores the key).
  if (raw.peft_lab_pooling !== undefined) config.pooling = raw.peft_lab_pooling;
  return config;
}

/** The head a checkpoint was saved with, from `architectures` (transformers class names). */
export function headFromHfConfig(raw: Record<string, any>): HeadKind {
  const arch: string = Array.isArray(raw.architectures) ? (raw.architectures[0] ?? '') : '';
  if (arch.endsWith('ForSequenceClassification')) return 'sequence-classification';
  if (arch.endsWith('ForTokenClassification')) return 'token-classification';
  if (arch.endsWith('LMHeadModel') || arch.endsWith('ForCausalLM')) return 'causal-lm';
  // Anything else (a base or masked-LM checkpoint): the family's causal LM, or classification for encoders.
  return isEncoderFamily(MODEL_TYPES[raw.model_type]) ? 'sequence-classification' : 'causal-lm';
}

/** Families without a causal-LM head here (BERT, RoBERTa, DistilBERT): they classify from their first token. */
export function isEncoderFamily(family: ModelFamily | undefined): boolean {
  return family !== undefined && FAMILIES[family] !== undefined && !FAMILIES[family].architectures['causal-lm'];
}

/** config.json contents for saving `config` with `head` (transformers reads it back). */
export function toHfConfig(config: NormalizedConfig, head: HeadKind): Record<string, unknown> {
  const entry = familyEntry(config.family);
  const architecture = entry.architectures[head];
  if (!architecture) throw new UnsupportedConfigError('head', head, `family ${config.family} supports ${Object.keys(entry.architectures).join(', ')}`);
  const out: Record<string, unknown> = { architectures: [architecture], ...entry.hfConfig(config), dtype: 'float32' };
  if (head !== 'causal-lm') {
    const n = config.numLabels ?? 2;
    out.id2label = Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), `LABEL_${i}`]));
    out.label2id = Object.fromEntries(Array.from({ length: n }, (_, i) => [`LABEL_${i}`, i]));
  }
  if (head === 'sequence-classification' && config.pooling && config.pooling !== 'last') out.peft_lab_pooling = config.pooling;
  return out;
}

/** An empty model of `config` and `head` (no weights yet); createModel / loadHfModel fill it. */
export function instantiateModel(config: NormalizedConfig, head: HeadKind): TransformerBase {
  const entry = familyEntry(config.family);
  if (!entry.architectures[head]) throw new UnsupportedConfigError('head', head, `family ${config.family} supports ${Object.keys(entry.architectures).join(', ')}`);
  if (head !== 'causal-lm' && !(config.numLabels && config.numLabels >= 1)) {
    throw new UnsupportedConfigError('numLabels', config.numLabels, `head ${head} needs numLabels ≥ 1`);
  }
  if (config.pooling !== undefined && !['last', 'mean'].includes(config.pooling)) {
    throw new UnsupportedConfigError('pooling', config.pooling, "expected 'last' or 'mean'");
  }
  if (config.pooling === 'mean' && isEncoderFamily(config.family)) {
    throw new UnsupportedConfigError('pooling', config.pooling, `${config.family} classifies from its pooler ([CLS]); mean pooling is for decoders (${Object.keys(FAMILIES).filter((f) => !isEncoderFamily(f as ModelFamily)).join(', ')})`);
  }
  return entry.create(config, head);
}

/**
 * A randomly initialised model (normal(0, initializer_range) weights, zero
 * biases, unit norms) — deterministic for a given seed. Weights are frozen
 * (`trainable = false`) until a PEFT method or full fine-tuning claims them.
 * @example const model = createModel(normalizeHfConfig(json), 'causal-lm', 42);
 */
export function createModel(config: NormalizedConfig, head: HeadKind, seed = 0): TransformerBase {
  return initializeWeights(instantiateModel(config, head), seed);
}
