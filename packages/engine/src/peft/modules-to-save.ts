/**
 * peft's `modules_to_save`, shared by every PEFT method: classification heads (and any other head
 * linear the caller names) are trained as copies beside the adapter — peft's ModulesToSaveWrapper —
 * and saved with it; the base head stays frozen and untouched.
 *
 * Which modules, as peft 0.21 decides (`PeftModelForSequenceClassification` /
 * `…ForTokenClassification` add `classifier_module_names = ['classifier', 'score']`, then
 * `_set_trainable` wraps every module whose dotted path ends with one of the names — a plain
 * string suffix — and trains all of it):
 * - BERT `classifier`; GPT-2 / the Llama-shaped families `score` (token classification: GPT-2
 *   `classifier`, Llama-shaped `score`);
 * - RoBERTa: `classifier` is RobertaClassificationHead, so `classifier.dense` and
 *   `classifier.out_proj` both train; peft saves `base_model.model.classifier.dense.weight`…;
 * - DistilBERT: `pre_classifier` ends with `classifier` too, so peft trains and saves
 *   `pre_classifier` and `classifier`;
 * - BERT's pooler (`bert.pooler.dense`) matches neither name and stays frozen, as in peft.
 * Causal LM adds none. Names that match nothing are skipped, as in peft.
 */
import * as tf from '@tensorflow/tfjs';
import { PeftConfigError, WeightShapeError } from '../errors.js';
import type { HostTensor } from '../hf/safetensors.js';
import { dense } from '../models/shared/ops.js';
import type { HeadKind, ModelHooks, TransformerModel } from '../types.js';

/** peft's `classifier_module_names`: what SEQ_CLS / TOKEN_CLS models add to modules_to_save. */
export const CLASSIFIER_MODULE_NAMES: readonly string[] = ['classifier', 'score'];

/** Key prefix of saved head copies: LoRA (a tuner model) nests the base under `base_model.model.`. */
export const LORA_SAVED_PREFIX = 'base_model.model.';
/** Prompt-learning methods (prompt, prefix; and our bottleneck adapters) keep the base at `base_model.`, as peft saves them. */
export const PROMPT_SAVED_PREFIX = 'base_model.';

/** peft's `task_type` per head, written into every method's adapter_config.json. */
export const PEFT_TASK_TYPES: Record<HeadKind, string> = { 'causal-lm': 'CAUSAL_LM', 'sequence-classification': 'SEQ_CLS', 'token-classification': 'TOKEN_CLS' };

/** What a method trains as modules_to_save when the caller names none: the classifier names for classification heads. */
export function defaultModulesToSave(head: HeadKind): string[] {
  return head === 'causal-lm' ? [] : [...CLASSIFIER_MODULE_NAMES];
}

/** A weight spec as the models describe them (`WeightSpec`): only what matching needs. */
export interface SpecLike {
  name: string;
  shape: number[];
  role: 'base' | 'head';
}

/** The model's weight specs (every family's model class has them); a model without (test doubles) has no savable heads. */
export function modelSpecs(model: TransformerModel): SpecLike[] {
  const m = model as TransformerModel & { weightSpecs?: () => SpecLike[] };
  return typeof m.weightSpecs === 'function' ? m.weightSpecs() : [];
}

const moduleOf = (param: string) => param.slice(0, param.lastIndexOf('.'));

/** Head linears (modules with a [in, out] weight of role `head`, run through `hooks.linear`), in spec order. */
export function headLinears(specs: SpecLike[]): string[] {
  return specs.filter((s) => s.role === 'head' && s.name.endsWith('.weight') && s.shape.length === 2).map((s) => moduleOf(s.name));
}

/**
 * The head linears `names` select, by peft's rule: a module path matches when it ends with a
 * name (`key.endswith(name)`, no dot needed), the outermost match is wrapped whole.
 * @throws PeftConfigError when a matched module holds weights that are not head linears (an
 *   embedding, a norm, a transformer layer's linear): the engine cannot train those beside an adapter.
 */
export function resolveModulesToSave(specs: SpecLike[], names: readonly string[]): string[] {
  if (names.length === 0) return [];
  const linears = headLinears(specs);
  const linearSet = new Set(linears);
  const paths = new Set<string>();
  for (const s of specs) {
    const parts = moduleOf(s.name).split('.');
    for (let i = 1; i <= parts.length; i++) paths.add(parts.slice(0, i).join('.'));
  }
  const matched = [...paths].filter((p) => names.some((n) => p.endsWith(n)));
  const outermost = matched.filter((p) => !matched.some((q) => q !== p && p.startsWith(`${q}.`)));
  const chosen = new Set<string>();
  for (const p of outermost) {
    for (const s of specs) {
      if (s.name !== p && !s.name.startsWith(`${p}.`)) continue;
      const mod = moduleOf(s.name);
      if (!linearSet.has(mod)) {
        const name = names.find((n) => p.endsWith(n));
        throw new PeftConfigError(
          `modulesToSave: ${JSON.stringify(name)} matches module ${p}, which holds ${s.name}: only head linears can be trained beside an adapter ` +
            `(this model's: ${linears.join(', ') || 'none'})`,
        );
      }
      chosen.add(mod);
    }
  }
  return linears.filter((m) => chosen.has(m));
}

/** Σ parameters of the head linears `names` select (weights and biases): what modules_to_save adds to a method's count. */
export function modulesToSaveParamCount(specs: SpecLike[], names: readonly string[]): number {
  const modules = new Set(resolveModulesToSave(specs, names));
  return specs.filter((s) => modules.has(moduleOf(s.name))).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

/** A trainable copy of one head linear (weight held [in, out] like the base). */
interface HeadCopy {
  name: string;
  weight: tf.Variable;
  bias: tf.Variable | null;
}

export interface SavedHeads {
  /** The head linears trained, in the model's order. */
  readonly modules: string[];
  /** Their copies keyed `${prefix}${module}.weight` / `.bias` (peft's saved names). */
  readonly trainable: Map<string, tf.Variable>;
  /** True when `name` is a saved head (its output is replaced). */
  has(name: string): boolean;
  /** The copy's output for head `name` (x [n, in] or [..., in]; y the base output, for its shape). */
  apply(name: string, x: tf.Tensor, y: tf.Tensor): tf.Tensor;
  /** `linear` / `linearTouches` hooks that only replace the saved heads; empty when there are none. */
  hooks(): Pick<ModelHooks, 'linear' | 'linearTouches'>;
  /** Host tensors in checkpoint layout (nn.Linear [out, in]), peft's names. */
  tensors(): Map<string, HostTensor>;
  /** Shapes of `tensors()`, without reading anything. */
  shapes(): Map<string, number[]>;
  dispose(): void;
}

/**
 * Trainable copies of the head linears `names` select on `model` (see the file comment). `initial`
 * (peft layout, keys `${prefix}${module}.weight`) replaces the copies of the base head — how a saved
 * adapter is imported.
 */
export function createSavedHeads(model: TransformerModel, names: readonly string[], prefix: string, initial?: Map<string, HostTensor>): SavedHeads {
  const modules = resolveModulesToSave(modelSpecs(model), names);
  const copies = new Map<string, HeadCopy>();
  const trainable = new Map<string, tf.Variable>();
  const fromInitial = (key: string, shape: number[], transpose: boolean): tf.Tensor | null => {
    const t = initial?.get(key);
    if (!t) return null;
    const want = transpose ? [...shape].reverse() : shape;
    if (t.shape.length !== want.length || t.shape.some((n, i) => n !== want[i])) throw new WeightShapeError(key, want, t.shape);
    return tf.tidy(() => (transpose ? tf.tensor(t.data, t.shape).transpose() : tf.tensor(t.data, t.shape)));
  };
  const variable = (key: string, value: tf.Tensor) => {
    const v = tf.variable(value, true);
    value.dispose();
    trainable.set(key, v);
    return v;
  };
  try {
    for (const name of modules) {
      const base = model.weights.get(`${name}.weight`);
      if (!base) throw new PeftConfigError(`modulesToSave: head ${name} has no weight in this model`);
      const baseBias = model.weights.get(`${name}.bias`) ?? null;
      const w = fromInitial(`${prefix}${name}.weight`, base.shape, true) ?? base.clone();
      const weight = variable(`${prefix}${name}.weight`, w);
      const b = baseBias ? (fromInitial(`${prefix}${name}.bias`, baseBias.shape, false) ?? baseBias.clone()) : null;
      copies.set(name, { name, weight, bias: b ? variable(`${prefix}${name}.bias`, b) : null });
    }
  } catch (e) {
    for (const v of trainable.values()) v.dispose();
    throw e;
  }
  const apply = (name: string, x: tf.Tensor, y: tf.Tensor): tf.Tensor => {
    const c = copies.get(name)!;
    const x2 = (x.rank === 2 ? x : x.reshape([-1, x.shape[x.rank - 1]!])) as tf.Tensor2D;
    return dense(x2, c.weight as tf.Tensor2D, (c.bias ?? undefined) as tf.Tensor1D | undefined).reshape(y.shape);
  };
  return {
    modules,
    trainable,
    has: (name) => copies.has(name),
    apply,
    hooks: () =>
      copies.size === 0
        ? {}
        : { linearTouches: (name: string) => copies.has(name), linear: (name: string, x: tf.Tensor, y: tf.Tensor) => (copies.has(name) ? apply(name, x, y) : y) },
    tensors() {
      const out = new Map<string, HostTensor>();
      for (const c of copies.values()) {
        const wt = tf.transpose(c.weight);
        out.set(`${prefix}${c.name}.weight`, { shape: wt.shape, data: wt.dataSync() as Float32Array });
        wt.dispose();
        if (c.bias) out.set(`${prefix}${c.name}.bias`, { shape: c.bias.shape, data: c.bias.dataSync() as Float32Array });
      }
      return out;
    },
    shapes() {
      const out = new Map<string, number[]>();
      for (const c of copies.values()) {
        out.set(`${prefix}${c.name}.weight`, [...c.weight.shape].reverse());
        if (c.bias) out.set(`${prefix}${c.name}.bias`, c.bias.shape);
      }
      return out;
    },
    dispose() {
      // The caller may have disposed them already through its own trainable map.
      for (const v of trainable.values()) if (!v.isDisposed) v.dispose();
      trainable.clear();
      copies.clear();
    },
  };
}
