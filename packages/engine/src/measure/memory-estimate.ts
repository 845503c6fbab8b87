/**
 * How much memory training a checkpoint takes, from its config alone: nothing is read but
 * config.json and nothing is allocated (the family's model class holds no tensors until
 * weights are loaded, so its `weightSpecs()` and `linearModules()` give exact counts).
 *
 * Parts (bytes, float32 throughout):
 * - weights: every base and head weight, parameter count × 4;
 * - trainableParams: the variables a PEFT method adds (LoRA A/B and head copies, adapters,
 *   the prefix table or MLP, the soft prompt), trainable × 4; 0 for full (it trains the weights);
 * - gradientsAndOptimizer: one gradient and the two AdamW moments per trainable, 3 × trainable × 4;
 * - activations: what the forward pass holds for the backward pass (formula below);
 * - checkpoint: a worker trial's checkpoint is a host snapshot of the trainables and both
 *   moments plus its serialized copy, 2 × 3 × trainable × 4 (`checkpoints: false` for
 *   `peft-lab train`, which writes none). For full fine-tuning this is the largest part;
 * - runtime: TensorFlow's libraries and Node (RSS before any tensor: 456–474 MiB measured);
 * - total: their sum.
 *
 * Activations, per training step at the end of the forward pass, in float32 elements, with
 * T = batch × (seq + soft-prompt length) tokens, Sk = key length (seq + prompt or prefix length),
 * d = dModel, f = ffnDim, H = heads, L = layers, V = vocab:
 *
 *   T · [ L · (a·d + b·f + H·Sk) + c·d ]                       saved per layer, and outside the layers
 *   + T · Σ inFeatures over the distinct inputs of trainable linears   (dense saves x only when W trains)
 *   + T · r per LoRA module                                    (x·Aᵀ, saved for B's gradient)
 *   + T · L · 5·d per adapter site                             (pfeiffer: 1 per layer, houlsby: 2)
 *   + T · L · (e·d + 15.5 · P·d / seq) for prefix tuning (P = prefix length)
 *   + the per-layer concatenated QKV / gate-up weights (BERT, Llama: copies made each forward)
 *   + all weights and added variables once more (see below), less those the backward pass never
 *     reads (trainable embedding tables; an untied LM head under the chunked loss), plus V·d for
 *     the LM head's gradient, which the chunked loss computes in the forward pass, when it trains
 *   + 8 · T · V when the causal-LM head is not the chunked loss (an untied lm_head a linear hook
 *     may change: LoRA with lm_head in modulesToSave; then the whole [T × V] logits and their
 *     softmax exist)
 *   + T · L · (11·(q − d) + 13·(kv − d·kvHeads/H) + n·3·(q + kv)) for the Llama-shaped families,
 *     q = H·headDim and kv = kvHeads·headDim: an explicit head_dim other than d/H (Gemma, Qwen3)
 *     widens what attention saves beyond Llama's d-sized terms, and Qwen3's per-head q/k RMSNorm
 *     (n = 1) saves its inputs before rotary (fitted on native + kernels, 2026-12, d 256–512)
 *
 * with (a, b, c, e) per family: gpt2 (6, 1, 15.5, 5), bert (9, 1, 17, 1.4), llama (27, 2, 12.5, 1.4);
 * qwen2, qwen3 and mistral take Llama's (their biases and window masks are noise), phi3 a = 29 (its
 * fused qkv_proj / gate_up_proj outputs are split into copies; the concatenated-weight term is 0 for
 * it), gemma c = 13.5 (the √d-scaled embeddings), roberta and distilbert BERT's (within 5% of BERT's
 * measured bytes at d 256).
 * GPT-2 per layer is LayerNorm inputs, the packed QKV (3d), the attention probabilities (H·Sk),
 * the GELU input (f) and the layer output; Llama's rotary embedding in tfjs ops and RMSNorm
 * save about 27 d-sized tensors per layer. With gradient checkpointing a layer keeps only its
 * input (L·d), and one layer at a time is recomputed in the backward pass (one layer's terms);
 * one more trainable-sized term is added there (fitted: full fine-tuning's peak RSS does not fall).
 *
 * Calibration (native TensorFlow + PEFT Lab's kernels, 2026-12). Against what the engine holds
 * (tf.memory().numBytes at the end of the forward pass, minus weights and added variables):
 * GPT-2 124M at batch 8 × 128 holds 990 MiB with LoRA r 8 (1,465 MiB with its 475 MiB of weights)
 * and 1,205 MiB with full fine-tuning (1,680 MiB); the formula gives 991 and 1,202. Over 43 shapes
 * of the three families (layers, batch, seq, width, FFN, heads, vocab each varied; LoRA, full,
 * adapter in both placements, prefix 10 and 40, prompt 20) it is within 5% of the measured bytes.
 *
 * The "all weights once more" term is what tfjs counts, not separate buffers: the tape keeps
 * a clone of each weight the backward pass reads, which shares the weight's buffer. It stays
 * because the process's peak RSS needs about that much beyond the saved activations anyway
 * (the backward pass's working set, allocator slack). Total against steady-state peak RSS of
 * training steps on a loaded checkpoint: GPT-2 124M LoRA −6% (batch 8) / +5% (16), full +7% / +1%,
 * LoRA and full with gradient checkpointing −7% / −4%; a 355M GPT-2 (24 layers, d 1024) +31% LoRA,
 * +25% full (on the safe side). Full fine-tuning of 124M with checkpoints: 6.3 GiB estimated, about
 * 6.1 GiB measured (step peak + the snapshot and its serialisation).
 */
import { instantiateModel } from '../models/registry.js';
import type { LinearModuleInfo, WeightSpec } from '../models/shared/transformer-base.js';
import { DEFAULT_TARGET_MODULES, LoraConfigSchema } from '../peft/lora/config.js';
import { matchTargetModules } from '../peft/lora/layer.js';
import { AdapterConfigSchema, adapterParamCount } from '../peft/adapter/index.js';
import { PrefixConfigSchema, prefixParamCount } from '../peft/prefix/index.js';
import { PromptConfigSchema, promptParamCount } from '../peft/prompt/index.js';
import { Ia3ConfigSchema } from '../peft/ia3/config.js';
import { resolveIa3Modules } from '../peft/ia3/layer.js';
import { defaultModulesToSave, modulesToSaveParamCount, resolveModulesToSave } from '../peft/modules-to-save.js';
import { METHOD_NAMES, methodDeclaration, withDefaults } from '../peft/declarations.js';
import type { HeadKind, ModelFamily, NormalizedConfig, PeftMethodName } from '../types.js';

/** Every registered method (one without its own case below is estimated from its declaration's trainableParams). */
export const MEMORY_METHODS: readonly PeftMethodName[] = METHOD_NAMES;

/** TensorFlow's libraries and Node before the first tensor (456–474 MiB measured), rounded up. */
export const RUNTIME_OVERHEAD_BYTES = 512 * 2 ** 20;

export interface TrainingMemoryOptions {
  /** `normalizeHfConfig(readHfConfig(dir))`; numLabels defaults to 2 for classification heads. */
  config: NormalizedConfig;
  head: HeadKind;
  method: PeftMethodName;
  batchSize: number;
  /** Tokens per example (the truncation length: the longest a batch can be). */
  seqLen: number;
  /** The engine config the method is attached with (r, targetModules, bottleneck, numVirtualTokens…); defaults otherwise. */
  methodConfig?: Record<string, unknown>;
  gradientCheckpointing?: boolean;
  /** Whether checkpoints are written while training (worker trials: yes; `peft-lab train`: no). Default true. */
  checkpoints?: boolean;
}

export interface TrainingMemoryBytes {
  weights: number;
  trainableParams: number;
  gradientsAndOptimizer: number;
  activations: number;
  checkpoint: number;
  runtime: number;
  total: number;
}

export interface TrainingMemoryEstimate {
  family: ModelFamily;
  head: HeadKind;
  method: PeftMethodName;
  batchSize: number;
  seqLen: number;
  gradientCheckpointing: boolean;
  checkpoints: boolean;
  /** Base and head weights of the model (what `countParams(model, null).totalParams` gives after loading). */
  parameterCount: number;
  /** What the optimizer updates (full: every weight). */
  trainableParams: number;
  bytes: TrainingMemoryBytes;
}

/** (a, b, c, e) of the formula above: per-layer d and FFN multiples, per-token d outside the layers, prefix extra. */
const FAMILY_ACTIVATIONS: Record<ModelFamily, { layerD: number; layerFfn: number; outsideD: number; prefixD: number }> = {
  gpt2: { layerD: 6, layerFfn: 1, outsideD: 15.5, prefixD: 5 },
  bert: { layerD: 9, layerFfn: 1, outsideD: 17, prefixD: 1.4 },
  llama: { layerD: 27, layerFfn: 2, outsideD: 12.5, prefixD: 1.4 },
  qwen2: { layerD: 27, layerFfn: 2, outsideD: 12.5, prefixD: 1.4 },
  qwen3: { layerD: 27, layerFfn: 2, outsideD: 12.5, prefixD: 1.4 },
  mistral: { layerD: 27, layerFfn: 2, outsideD: 12.5, prefixD: 1.4 },
  gemma: { layerD: 27, layerFfn: 2, outsideD: 13.5, prefixD: 1.4 },
  phi3: { layerD: 29, layerFfn: 2, outsideD: 12.5, prefixD: 1.4 },
  roberta: { layerD: 9, layerFfn: 1, outsideD: 17, prefixD: 1.4 },
  distilbert: { layerD: 9, layerFfn: 1, outsideD: 17, prefixD: 1.4 },
};

/** Families run by LlamaModel (models/llama/model.ts), whose attention width is H·headDim rather than d. */
const LLAMA_SHAPED = new Set<ModelFamily>(['llama', 'qwen2', 'qwen3', 'mistral', 'gemma', 'phi3']);

/** Per token and layer: what a Llama-shaped attention saves beyond the d-sized terms (formula above). */
function attentionWidthTerm(c: NormalizedConfig): number {
  if (!LLAMA_SHAPED.has(c.family)) return 0;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const qkNorm = c.extra.qkNorm === true ? 3 * (q + kv) : 0;
  return 11 * (q - c.dModel) + 13 * (kv - (c.dModel * c.numKvHeads) / c.numHeads) + qkNorm;
}

/** Linears the models run as one product over one input (fusedLinear): their inputs are one tensor, their weights one concatenated copy. */
const SHARED_INPUT_GROUPS = [['q_proj', 'k_proj', 'v_proj'], ['query', 'key', 'value'], ['q_lin', 'k_lin', 'v_lin'], ['gate_proj', 'up_proj']];
const LAYER_OF = /\.(?:h|layers|layer)\.(\d+)\./;
const EMBEDDING_TABLE = /(?:\.wte|\.wpe|\.embed_tokens|embeddings\.(?:word|position|token_type)_embeddings)\.weight$/;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function inputSite(m: LinearModuleInfo): string {
  const group = SHARED_INPUT_GROUPS.findIndex((g) => g.includes(m.shortName));
  return group < 0 ? m.name : `${m.name.slice(0, m.name.lastIndexOf('.'))}#${group}`;
}

/** Elements of the weight copies the fused products concatenate each forward, per layer index. */
function fusedCopiesByLayer(linears: LinearModuleInfo[]): Map<number, number> {
  const groups = new Map<string, LinearModuleInfo[]>();
  for (const m of linears) groups.set(inputSite(m), [...(groups.get(inputSite(m)) ?? []), m]);
  const out = new Map<number, number>();
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const layer = Number(LAYER_OF.exec(members[0].name)?.[1] ?? -1);
    out.set(layer, (out.get(layer) ?? 0) + members.reduce((n, m) => n + m.inFeatures * m.outFeatures, 0));
  }
  return out;
}

interface MethodShape {
  trainable: number;
  /** Variables the method adds (not the base weights). */
  added: number;
  /** Trainable linears (full: all; LoRA: the targets) — their inputs are saved. */
  trainedLinears: LinearModuleInfo[];
  loraModules: number;
  loraRank: number;
  adapterSites: number;
  prefixLen: number;
  promptLen: number;
  /** Whether a `linear` hook changes the LM head (LoRA with lm_head in modulesToSave), which keeps an untied head out of the chunked loss. */
  headHook: boolean;
}

function methodShape(o: TrainingMemoryOptions, specs: WeightSpec[], linears: LinearModuleInfo[], parameterCount: number): MethodShape {
  const c = o.config;
  const cfg = o.methodConfig ?? {};
  const none = { trainedLinears: [], loraModules: 0, loraRank: 0, adapterSites: 0, prefixLen: 0, promptLen: 0, headHook: false };
  // Heads every method trains as copies beside its variables (peft's modules_to_save, `peft/modules-to-save.ts`).
  const heads = (names: string[] | undefined) => {
    const selected = names ?? defaultModulesToSave(o.head);
    return { n: modulesToSaveParamCount(specs, selected), lmHead: resolveModulesToSave(specs, selected).includes('lm_head') };
  };
  switch (o.method) {
    case 'full':
      return { ...none, trainable: parameterCount, added: 0, trainedLinears: linears };
    case 'lora': {
      const p = LoraConfigSchema.parse(cfg);
      const targets = p.targetModules ?? DEFAULT_TARGET_MODULES[c.family];
      // matchTargetModules reads only linearModules(): an empty model answers it.
      const modules = matchTargetModules({ config: c, linearModules: () => linears } as Parameters<typeof matchTargetModules>[0], targets);
      const n = modules.reduce((s, m) => s + p.r * (m.inFeatures + m.outFeatures) + (p.useDora ? m.outFeatures : 0), 0) + heads(p.modulesToSave).n;
      // DoRA's magnitudes scale each target's output: the backward pass keeps that product (`out` wide) too.
      const dora = p.useDora ? modules.map((m) => ({ ...m, name: `${m.name}#dora`, shortName: `${m.shortName}#dora`, inFeatures: m.outFeatures })) : [];
      return { ...none, trainable: n, added: n, trainedLinears: [...modules, ...dora], loraModules: modules.length, loraRank: p.r, headHook: heads(p.modulesToSave).lmHead };
    }
    case 'adapter': {
      const p = AdapterConfigSchema.parse(cfg);
      const n = adapterParamCount(p, c.dModel, c.numLayers) + heads(p.modulesToSave).n;
      return { ...none, trainable: n, added: n, adapterSites: c.numLayers * (p.placement === 'houlsby' ? 2 : 1), headHook: heads(p.modulesToSave).lmHead };
    }
    case 'prefix': {
      const p = PrefixConfigSchema.parse(cfg);
      const n = prefixParamCount(p, c) + heads(p.modulesToSave).n;
      return { ...none, trainable: n, added: n, prefixLen: p.numVirtualTokens, headHook: heads(p.modulesToSave).lmHead };
    }
    case 'prompt': {
      // Only the length and the saved heads matter here (init text is tokenised later, by the caller).
      const p = PromptConfigSchema.parse({ numVirtualTokens: cfg.numVirtualTokens, modulesToSave: cfg.modulesToSave });
      const n = promptParamCount(p.numVirtualTokens, c.dModel) + heads(p.modulesToSave).n;
      return { ...none, trainable: n, added: n, promptLen: p.numVirtualTokens, headHook: heads(p.modulesToSave).lmHead };
    }
    case 'ia3': {
      const p = Ia3ConfigSchema.parse(cfg);
      const { targets } = resolveIa3Modules({ config: c, linearModules: () => linears }, p);
      const n = targets.reduce((s, m) => s + (m.feedforward ? m.inFeatures : m.outFeatures), 0) + heads(p.modulesToSave).n;
      // The backward pass keeps each scaled tensor: a feed-forward module's input, any other module's output (its own site, `out` wide).
      const saved = targets.map((m) => (m.feedforward ? m : { ...m, name: `${m.name}#out`, shortName: `${m.shortName}#out`, inFeatures: m.outFeatures }));
      return { ...none, trainable: n, added: n, trainedLinears: saved, headHook: heads(p.modulesToSave).lmHead };
    }
    default: {
      // A method without a case here: its declared formula (0 without one) and the heads it saves;
      // its activations count as the frozen model's.
      const d = methodDeclaration(o.method);
      const saved = heads(cfg.modulesToSave as string[] | undefined);
      const n = (d.trainableParams?.(c, withDefaults(d, cfg)) ?? 0) + saved.n;
      return { ...none, trainable: n, added: n, headHook: saved.lmHead };
    }
  }
}

/**
 * Training memory of `config` with `head` and `method` at `batchSize` × `seqLen`, before anything is loaded.
 * @example estimateTrainingMemory({ config: normalizeHfConfig(readHfConfig(dir)), head: 'causal-lm', method: 'lora', batchSize: 8, seqLen: 128 }).bytes.total
 */
export function estimateTrainingMemory(o: TrainingMemoryOptions): TrainingMemoryEstimate {
  if (!MEMORY_METHODS.includes(o.method)) throw new RangeError(`method ${JSON.stringify(o.method)}: expected one of ${MEMORY_METHODS.join(', ')}`);
  for (const [k, v] of [['batchSize', o.batchSize], ['seqLen', o.seqLen]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} ${JSON.stringify(v)}: must be an integer ≥ 1`);
  }
  const needsLabels = o.head !== 'causal-lm' && !(o.config.numLabels !== undefined && o.config.numLabels >= 1);
  const config: NormalizedConfig = needsLabels ? { ...o.config, numLabels: 2 } : o.config;
  const model = instantiateModel(config, o.head);
  const specs = model.weightSpecs();
  const linears = model.linearModules();
  const parameterCount = specs.reduce((n, s) => n + size(s.shape), 0);
  const m = methodShape({ ...o, config }, specs, linears, parameterCount);
  const ckpt = o.gradientCheckpointing === true;
  const checkpoints = o.checkpoints !== false;

  const { dModel: d, ffnDim: f, numHeads: H, numLayers: L, vocabSize: V } = config;
  const k = FAMILY_ACTIVATIONS[config.family];
  const seq = o.seqLen + m.promptLen;
  const T = o.batchSize * seq;
  const keyLen = seq + m.prefixLen;
  // Per layer and token: the frozen layer's saved tensors plus what the method adds.
  const trainedInputs = new Map(m.trainedLinears.map((x) => [inputSite(x), x.inFeatures]));
  const perLayer = (k.layerD * d + k.layerFfn * f + H * keyLen + attentionWidthTerm(config))
    + 5 * d * (m.adapterSites / L)
    + (m.prefixLen > 0 ? k.prefixD * d + (15.5 * m.prefixLen * d) / o.seqLen : 0);
  const perModelToken = [...trainedInputs.values()].reduce((a, b) => a + b, 0) + m.loraRank * m.loraModules;
  const fused = fusedCopiesByLayer(linears);
  const maxOf = (xs: Iterable<number>) => Math.max(0, ...xs);
  const unfusedLogits = o.head === 'causal-lm' && m.headHook ? 8 * T * V : 0;
  // Weights the backward pass does not read, so the tape keeps no clone: trainable embedding
  // tables (their gradient needs only the ids) and an untied LM head under the chunked loss
  // (which saves its gradients instead: dH, and dW = V·d when the head trains).
  let unread = 0;
  for (const s of specs) {
    if (o.method === 'full' && EMBEDDING_TABLE.test(s.name)) unread += size(s.shape);
    if (s.name === 'lm_head.weight' && o.head === 'causal-lm' && unfusedLogits === 0) unread += size(s.shape);
  }
  const headGradient = o.head === 'causal-lm' && o.method === 'full' && unfusedLogits === 0 ? V * d : 0;
  // The weights once more (tfjs's count of the tape's weight clones; in RSS, the backward pass's working set).
  const weightsAgain = parameterCount - unread + headGradient + m.added;
  const elements = ckpt
    // Each layer keeps its input; the layer recomputed in the backward pass holds one layer's share again.
    // Fitted: full fine-tuning's peak RSS does not fall with checkpointing (GPT-2 124M: 3.63 vs 3.39 GiB).
    ? T * (L * d + k.outsideD * d) + T * (perLayer + perModelToken / L) + maxOf(fused.values()) + weightsAgain + m.trainable + unfusedLogits
    : T * (L * perLayer + k.outsideD * d + perModelToken) + [...fused.values()].reduce((a, b) => a + b, 0) + weightsAgain + unfusedLogits;

  const bytes = {
    weights: parameterCount * 4,
    trainableParams: m.added * 4,
    gradientsAndOptimizer: 3 * m.trainable * 4,
    activations: Math.round(elements * 4),
    checkpoint: checkpoints ? 2 * 3 * m.trainable * 4 : 0,
    runtime: RUNTIME_OVERHEAD_BYTES,
    total: 0,
  };
  bytes.total = bytes.weights + bytes.trainableParams + bytes.gradientsAndOptimizer + bytes.activations + bytes.checkpoint + bytes.runtime;
  return {
    family: config.family, head: o.head, method: o.method, batchSize: o.batchSize, seqLen: o.seqLen,
    gradientCheckpointing: ckpt, checkpoints, parameterCount, trainableParams: m.trainable, bytes,
  };
}
