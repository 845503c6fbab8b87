/**
 * A PEFT adapter merged into its base and written as a Hugging Face checkpoint directory that
 * transformers' `AutoModelFor….from_pretrained(dir)` loads without peft: what peft's
 * `merge_and_unload()` + `save_pretrained()` give. The directory keeps the base checkpoint's own
 * tensor names (GPT-2's bare `h.0…` stay bare) and dtypes (a BF16 base is written BF16: merged
 * weights rounded to nearest even), its tokenizer files and generation_config.json; config.json
 * is the base's, with the architecture and labels of the adapter's head.
 *
 * Only methods that fold into the weights merge (LoRA / DoRA, (IA)³: `attachment.merge`); the
 * others (bottleneck adapters, prefix and prompt tuning) change the forward pass itself and are
 * refused with NotMergeableError.
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointFormatError, NotMergeableError, PeftConfigError } from '../errors.js';
import { registeredPeftMethod } from '../peft/base.js';
import { isMergeableMethod, METHOD_DECLARATIONS } from '../peft/declarations.js';
import { CLASSIFIER_MODULE_NAMES, LORA_SAVED_PREFIX } from '../peft/modules-to-save.js';
import type { HeadKind, PeftAttachment, SequencePooling, TransformerModel } from '../types.js';
import type { TransformerBase } from '../models/shared/transformer-base.js';
import { headFromHfConfig } from '../models/registry.js';
import { hfConfigJson, hfStateDict, loadHfModel, readHfConfig } from './model-io.js';
import { SafetensorsFile, encodeSafetensors, type HostTensor, type TensorEntry } from './safetensors.js';

/** Files besides config.json and the weights that a model directory carries and a merge keeps. */
export const CHECKPOINT_SIDE_FILES = [
  'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json',
  'vocab.json', 'merges.txt', 'vocab.txt', 'tokenizer.model', 'spiece.model', 'chat_template.jinja',
] as const;

const HEAD_OF_TASK_TYPE: Record<string, HeadKind> = { CAUSAL_LM: 'causal-lm', SEQ_CLS: 'sequence-classification', TOKEN_CLS: 'token-classification' };

export interface MergeAdapterOptions {
  /** Decoder sequence-classification pooling the adapter trained with (transformers pools the last token; 'mean' is recorded as peft_lab_pooling). */
  pooling?: SequencePooling;
  /** Label names of a classification head, written as id2label / label2id. */
  labels?: string[];
}

export interface MergedCheckpoint {
  dir: string;
  method: string;
  head: HeadKind;
  /** The files written, relative to `dir`. */
  files: string[];
}

/**
 * Merges the PEFT adapter in `adapterDir` into the checkpoint in `baseDir` and writes the result to `outDir`.
 * @example mergeAdapterIntoCheckpoint('test-fixtures/qwen2-tiny', 'test-fixtures/qwen2-tiny-lora-all', '/tmp/merged');
 * @throws NotMergeableError for a method that does not fold into the weights (naming it and the alternative),
 *   CheckpointFormatError for a missing or unreadable adapter_config.json.
 */
export function mergeAdapterIntoCheckpoint(baseDir: string, adapterDir: string, outDir: string, opts: MergeAdapterOptions = {}): MergedCheckpoint {
  const configPath = join(adapterDir, 'adapter_config.json');
  if (!existsSync(configPath)) throw new CheckpointFormatError(`${adapterDir}: adapter_config.json is missing`);
  const json = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, any>;
  const decl = METHOD_DECLARATIONS.find((d) => d.saveFormat !== 'full checkpoint' && d.saveFormat.peftType === json.peft_type);
  if (!decl) throw new CheckpointFormatError(`${configPath}: peft_type=${JSON.stringify(json.peft_type)} is not a method this engine knows`);
  if (!isMergeableMethod(decl.name)) throw new NotMergeableError(decl.name);
  const head = HEAD_OF_TASK_TYPE[json.task_type ?? 'CAUSAL_LM'];
  if (!head) throw new CheckpointFormatError(`${configPath}: task_type=${JSON.stringify(json.task_type)} (merged: ${Object.keys(HEAD_OF_TASK_TYPE).join(', ')})`);
  const numLabels = head === 'causal-lm' ? undefined : savedHeadLabels(join(adapterDir, 'adapter_model.safetensors')) ?? opts.labels?.length;
  const { model } = loadHfModel(baseDir, { head, numLabels, pooling: opts.pooling });
  try {
    const attachment = registeredPeftMethod(decl.name)!.load!(model, adapterDir, 'export');
    const files = writeMergedCheckpoint(model, attachment, baseDir, outDir, opts.labels);
    return { dir: outDir, method: decl.name, head, files };
  } finally {
    model.dispose();
  }
}

/** Labels of the classifier an adapter file saves (its weight's first dimension), if it saves one. */
function savedHeadLabels(weightsPath: string): number | undefined {
  const file = SafetensorsFile.read(weightsPath);
  const key = [...file.entries.keys()].find((k) => CLASSIFIER_MODULE_NAMES.some((n) => k.endsWith(`${n}.weight`) || k.endsWith(`${n}.out_proj.weight`)));
  return key ? file.entries.get(key)!.shape[0] : undefined;
}

/**
 * Writes `model` with `attachment` merged into it as a checkpoint directory beside the base's
 * own files in `baseDir`; the model is unmerged again afterwards (it may go on training or serving).
 * @returns the files written, relative to `outDir`.
 * @throws NotMergeableError when the attachment has no merge.
 */
export function writeMergedCheckpoint(model: TransformerModel, attachment: PeftAttachment, baseDir: string, outDir: string, labels?: string[]): string[] {
  if (!attachment.merge || !attachment.unmerge) throw new NotMergeableError(attachment.method);
  const wasMerged = (attachment as { merged?: boolean }).merged === true;
  if (!wasMerged) attachment.merge();
  let state: Map<string, HostTensor>;
  try {
    state = hfStateDict(model);
  } finally {
    if (!wasMerged) attachment.unmerge();
  }
  // Trained heads (modules_to_save) live in the attachment, not in the base weights.
  const adapterTensors = (attachment as { adapterTensors?: () => Map<string, HostTensor> }).adapterTensors?.() ?? new Map<string, HostTensor>();
  for (const [key, t] of adapterTensors) {
    if (key.startsWith(LORA_SAVED_PREFIX) && state.has(key.slice(LORA_SAVED_PREFIX.length))) state.set(key.slice(LORA_SAVED_PREFIX.length), t);
  }
  mkdirSync(outDir, { recursive: true });
  const config = hfConfigJson(model);
  if (labels && model.head !== 'causal-lm') {
    config.id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
    config.label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
  }
  const source = new BaseCheckpoint(baseDir);
  const sameHead = headFromHfConfig(readHfConfig(baseDir)) === model.head;
  const specs = (model as TransformerBase).weightSpecs();
  const tensors: OutTensor[] = [];
  const written = new Set<string>();
  for (const spec of specs) {
    const t = state.get(spec.name);
    if (!t) continue;
    const bare = spec.name.replace(/^(transformer|model|bert)\./, '');
    // The base's own name; with another head than the base's, the prefixed one (transformers
    // adds a base prefix to a checkpoint only when none of its keys has it, and the head's keys never do).
    const name = sameHead && !source.has(spec.name) && source.has(bare) ? bare : spec.name;
    tensors.push({ name, dtype: source.dtype(source.has(spec.name) ? spec.name : bare), shape: t.shape, data: t.data });
    written.add(spec.name).add(bare);
  }
  // Buffers the engine does not hold (GPT-2's attn.bias masks in older checkpoints), copied as they are.
  if (sameHead) for (const name of source.names()) if (!written.has(name)) tensors.push({ name, ...source.raw(name) });
  const dtypes = new Set(tensors.map((t) => t.dtype));
  if (!config.torch_dtype && !config.dtype && dtypes.size === 1) config.torch_dtype = TORCH_DTYPE[[...dtypes][0]];
  writeFileSync(join(outDir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(outDir, 'model.safetensors'), serializeTyped(tensors));
  const files = ['config.json', 'model.safetensors'];
  for (const f of CHECKPOINT_SIDE_FILES) {
    if (existsSync(join(baseDir, f))) {
      copyFileSync(join(baseDir, f), join(outDir, f));
      files.push(f);
    }
  }
  return files;
}

const TORCH_DTYPE: Record<string, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/** A tensor to write: float32 values to encode in `dtype`, or bytes already in it. */
type OutTensor = { name: string; dtype: string; shape: number[] } & ({ data: Float32Array } | { bytes: Uint8Array });

/** The base checkpoint's tensor names, dtypes and raw bytes, over one file or its shards. */
class BaseCheckpoint {
  private readonly files = new Map<string, SafetensorsFile>();
  private readonly where = new Map<string, string>();
  private readonly common: string;

  constructor(dir: string) {
    const single = join(dir, 'model.safetensors');
    const index = join(dir, 'model.safetensors.index.json');
    const paths = existsSync(single) ? [single]
      : existsSync(index) ? [...new Set(Object.values((JSON.parse(readFileSync(index, 'utf8')).weight_map ?? {}) as Record<string, string>))].map((f) => join(dir, f))
      : [];
    if (!paths.length) throw new CheckpointFormatError(`${dir}: neither model.safetensors nor model.safetensors.index.json exists`);
    const counts = new Map<string, number>();
    for (const p of paths) {
      const f = SafetensorsFile.read(p);
      this.files.set(p, f);
      for (const [name, e] of f.entries) {
        this.where.set(name, p);
        counts.set(e.dtype, (counts.get(e.dtype) ?? 0) + 1);
      }
    }
    this.common = [...counts].filter(([d]) => d in TORCH_DTYPE).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32';
  }

  names(): string[] {
    return [...this.where.keys()];
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  /** The tensor's float dtype in the base; for one the base lacks (a new head), the base's most common. */
  dtype(name: string): string {
    const d = this.entry(name)?.dtype;
    return d && d in TORCH_DTYPE ? d : this.common;
  }

  /** The tensor's bytes as stored (only its own range is read, not the file). */
  raw(name: string): { dtype: string; shape: number[]; bytes: Uint8Array } {
    const path = this.where.get(name)!;
    const e = this.entry(name)!;
    const fd = openSync(path, 'r');
    try {
      const len = Buffer.alloc(8);
      readSync(fd, len, 0, 8, 0);
      const start = 8 + Number(len.readBigUInt64LE(0)) + e.data_offsets[0];
      const bytes = Buffer.alloc(e.data_offsets[1] - e.data_offsets[0]);
      for (let done = 0; done < bytes.length;) {
        const n = readSync(fd, bytes, done, bytes.length - done, start + done);
        if (n === 0) throw new CheckpointFormatError(`${path}: file ends inside tensor ${name}`);
        done += n;
      }
      return { dtype: e.dtype, shape: e.shape, bytes };
    } finally {
      closeSync(fd);
    }
  }

  private entry(name: string): TensorEntry | undefined {
    const p = this.where.get(name);
    return p ? this.files.get(p)!.entries.get(name) : undefined;
  }
}

/** float32 → bfloat16 bits, rounded to nearest even (as torch's `.to(torch.bfloat16)`); NaN stays NaN. */
function toBf16(data: Float32Array): Uint16Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const b = bits[i];
    out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** float32 → IEEE half bits, rounded to nearest even; out-of-range values become ±Infinity. */
function toF16(data: Float32Array): Uint16Array {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    f[0] = data[i];
    const x = u[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) { out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); continue; }
    let e = exp - 127 + 15;
    if (e >= 0x1f) { out[i] = sign | 0x7c00; continue; }
    if (e <= 0) {
      if (e < -10) { out[i] = sign; continue; }
      mant |= 0x800000;
      const shift = 14 - e;
      let h = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rem > half || (rem === half && (h & 1))) h++;
      out[i] = sign | h;
      continue;
    }
    let h = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
    out[i] = sign | h;
  }
  return out;
}

/** safetensors bytes of tensors in their own dtypes (float data encoded to BF16/F16 where the base has it). */
function serializeTyped(tensors: OutTensor[]): Uint8Array {
  return encodeSafetensors(tensors.map((t) => {
    if ('bytes' in t) return { name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.bytes };
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new PeftConfigError(`tensor ${t.name}: shape [${t.shape}] needs ${size} values, got ${t.data.length}`);
    const encoded = t.dtype === 'BF16' ? toBf16(t.data) : t.dtype === 'F16' ? toF16(t.data) : t.data;
    return { name: t.name, dtype: t.dtype, shape: t.shape, bytes: new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength) };
  }), { format: 'pt' });
}
