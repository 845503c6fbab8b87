/**
 * Checks a local Hugging Face checkpoint directory without loading a weight: config.json
 * parses and names a model_type the engine runs, the safetensors file (or every shard its
 * `model.safetensors.index.json` names) exists and its header holds every tensor the
 * config needs, with the shape the config implies, a dtype the engine reads and a byte
 * range inside the file; tokenizer.json is present. What registering a base model runs
 * (`peft-lab model add`): a directory that passes loads with `loadHfModel`.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PeftLabError } from '../errors.js';
import { headFromHfConfig, instantiateModel, normalizeHfConfig } from '../models/registry.js';
import { checkpointShape, type WeightSpec } from '../models/shared/transformer-base.js';
import type { HeadKind, NormalizedConfig } from '../types.js';
import { SafetensorsFile, type TensorEntry } from './safetensors.js';

/** A checkpoint directory is unusable; `file` (and `tensor`, when one is at fault) say where. */
export class CheckpointValidationError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly file: string, message: string, readonly tensor?: string, options?: { cause?: unknown }) {
    super('CHECKPOINT_INVALID', `${file}: ${message}`, options);
  }
}

export interface CheckpointCheck {
  dir: string;
  /** config.json as read. */
  raw: Record<string, any>;
  config: NormalizedConfig;
  modelType: string;
  family: NormalizedConfig['family'];
  /** The head the checkpoint was saved with (`architectures`). */
  head: HeadKind;
  /** Parameters of the model with that head (what `estimateTrainingMemory` counts). */
  parameterCount: number;
  /** safetensors dtype of the weights the model reads ('F32', 'BF16', …; mixed: 'F16+F32'). */
  dtype: string;
  /** The weight files read (the single file, or the index and its shards). */
  weightFiles: string[];
  /** Bytes of every file a worker reads: config.json, tokenizer files, weight files. */
  bytesOnDisk: number;
  /** Head tensors the checkpoint does not hold (they start random when trained, as in transformers). */
  missingHeadTensors: string[];
}

const BYTES_PER: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

interface Located { file: string; entry: TensorEntry; dataBytes: number }

/** Header of one safetensors file, plus the size of its data section. */
function openHeader(path: string): { file: SafetensorsFile; dataBytes: number } {
  let file: SafetensorsFile;
  try {
    file = SafetensorsFile.read(path);
  } catch (err) {
    // Its messages already start with the path.
    const msg = (err as Error).message;
    throw new CheckpointValidationError(path, msg.startsWith(`${path}: `) ? msg.slice(path.length + 2) : msg, undefined, { cause: err });
  }
  const head = new Uint8Array(8);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  const headerLen = Number(new DataView(head.buffer).getBigUint64(0, true));
  return { file, dataBytes: statSync(path).size - 8 - headerLen };
}

/** Every tensor name → its file and header entry, across one file or the shards of the index. */
function locateTensors(dir: string): { tensors: Map<string, Located>; weightFiles: string[] } {
  const single = join(dir, 'model.safetensors');
  const indexPath = join(dir, 'model.safetensors.index.json');
  const tensors = new Map<string, Located>();
  if (existsSync(single)) {
    const { file, dataBytes } = openHeader(single);
    for (const [name, entry] of file.entries) tensors.set(name, { file: single, entry, dataBytes });
    return { tensors, weightFiles: [single] };
  }
  if (!existsSync(indexPath)) {
    throw new CheckpointValidationError(dir, 'has neither model.safetensors nor model.safetensors.index.json (only safetensors checkpoints are read)');
  }
  let index: { weight_map?: unknown };
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (err) {
    throw new CheckpointValidationError(indexPath, `not valid JSON (${(err as Error).message})`, undefined, { cause: err });
  }
  const map = index?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new CheckpointValidationError(indexPath, 'has no weight_map object');
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard === '') throw new CheckpointValidationError(indexPath, `weight_map["${name}"] is not a file name`, name);
    byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  }
  for (const [shard, names] of byShard) {
    if (!existsSync(join(dir, shard))) {
      throw new CheckpointValidationError(indexPath, `names shard ${shard} (for tensor ${names[0]}${names.length > 1 ? ` and ${names.length - 1} more` : ''}), but ${join(dir, shard)} does not exist`, names[0]);
    }
  }
  const weightFiles = [indexPath];
  for (const [shard, names] of byShard) {
    const path = join(dir, shard);
    const { file, dataBytes } = openHeader(path);
    for (const name of names) {
      const entry = file.entries.get(name);
      if (!entry) throw new CheckpointValidationError(indexPath, `maps tensor ${name} to ${shard}, but that shard's header has no such tensor`, name);
      tensors.set(name, { file: path, entry, dataBytes });
    }
    weightFiles.push(path);
  }
  return { tensors, weightFiles };
}

/**
 * The checkpoint tensor of a spec: its own name, else the name without its first segment
 * (the original `gpt2` checkpoint has `h.0.…`, not `transformer.h.0.…`; loadHfModel's lookup).
 */
function tensorFor(tensors: Map<string, Located>, spec: WeightSpec): [string, Located] | null {
  for (const name of [spec.name, spec.name.replace(/^[^.]+\./, '')]) {
    const hit = tensors.get(name);
    if (hit) return [name, hit];
  }
  return null;
}

/**
 * @throws CheckpointValidationError naming the file (and the tensor) at fault; a model_type or
 *   config value the engine does not run is one naming config.json (`cause`: the UnsupportedConfigError).
 * @example const c = checkHfCheckpoint('test-fixtures/gpt2-tiny'); c.parameterCount // 133888
 */
export function checkHfCheckpoint(dir: string): CheckpointCheck {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CheckpointValidationError(dir, 'no such directory');
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new CheckpointValidationError(configPath, 'is missing (not a Hugging Face model directory)');
  let raw: Record<string, any>;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new CheckpointValidationError(configPath, `not valid JSON (${(err as Error).message})`, undefined, { cause: err });
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new CheckpointValidationError(configPath, 'is not a JSON object');
  let config: NormalizedConfig;
  let head: HeadKind;
  let specs: WeightSpec[];
  try {
    config = normalizeHfConfig(raw);
    head = headFromHfConfig(raw);
    specs = instantiateModel(head !== 'causal-lm' && !(config.numLabels && config.numLabels >= 1) ? { ...config, numLabels: 2 } : config, head).weightSpecs();
  } catch (err) {
    // UnsupportedConfigError: "unsupported config: model_type=\"t5\" (supported: …)".
    if (err instanceof PeftLabError && err.code === 'UNSUPPORTED_CONFIG') throw new CheckpointValidationError(configPath, err.message, undefined, { cause: err });
    throw err;
  }

  const { tensors, weightFiles } = locateTensors(dir);
  const dtypes = new Set<string>();
  const missingHeadTensors: string[] = [];
  for (const spec of specs) {
    const hit = tensorFor(tensors, spec);
    if (!hit) {
      if (spec.role === 'head') { missingHeadTensors.push(spec.name); continue; }
      throw new CheckpointValidationError(weightFiles[0], `has no tensor ${spec.name}, which config.json (${raw.model_type}, ${config.numLayers} layers) needs`, spec.name);
    }
    const [name, { file, entry, dataBytes }] = hit;
    const expected = checkpointShape(spec);
    const actual = entry.shape;
    if (!Array.isArray(actual) || expected.length !== actual.length || expected.some((n, i) => n !== actual[i])) {
      throw new CheckpointValidationError(file, `tensor ${name} has shape [${Array.isArray(actual) ? actual.join(', ') : String(actual)}], but config.json implies [${expected.join(', ')}]`, name);
    }
    const bytesPer = BYTES_PER[entry.dtype];
    if (!bytesPer) throw new CheckpointValidationError(file, `tensor ${name} has dtype ${entry.dtype} (the engine reads F32, F16, BF16)`, name);
    const [begin, end] = Array.isArray(entry.data_offsets) ? entry.data_offsets : [NaN, NaN];
    const count = actual.reduce((a, b) => a * b, 1);
    if (!(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0 && end - begin === count * bytesPer)) {
      throw new CheckpointValidationError(file, `tensor ${name}: data_offsets [${begin}, ${end}] do not hold ${count} ${entry.dtype} values`, name);
    }
    if (end > dataBytes) throw new CheckpointValidationError(file, `tensor ${name} ends at data byte ${end}, but the file holds ${dataBytes} (truncated?)`, name);
    dtypes.add(entry.dtype);
  }

  const tokenizerPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokenizerPath)) throw new CheckpointValidationError(tokenizerPath, 'is missing (the engine tokenizes with tokenizer.json)');
  try {
    JSON.parse(readFileSync(tokenizerPath, 'utf8'));
  } catch (err) {
    throw new CheckpointValidationError(tokenizerPath, `not valid JSON (${(err as Error).message})`, undefined, { cause: err });
  }
  const read = [configPath, tokenizerPath, join(dir, 'tokenizer_config.json'), ...weightFiles].filter((f) => existsSync(f));
  return {
    dir, raw, config, modelType: String(raw.model_type), family: config.family, head,
    parameterCount: specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
    dtype: [...dtypes].sort().join('+'),
    weightFiles,
    bytesOnDisk: read.reduce((n, f) => n + statSync(f).size, 0),
    missingHeadTensors,
  };
}
