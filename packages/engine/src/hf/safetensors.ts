/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte
 * little-endian header length, a JSON header `{name: {dtype, shape,
 * data_offsets}}`, then raw little-endian tensor bytes. Read F32/F16/BF16 into
 * Float32Array (the engine computes in float32); write F32.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointFormatError, MissingWeightError } from '../errors.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export interface TensorEntry {
  dtype: string;
  shape: number[];
  /** Byte offsets into the data section: [begin, end). */
  data_offsets: [number, number];
}

/** A float32 tensor in host memory, ready for `tf.tensor(data, shape)`. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** One parsed safetensors file; tensors are decoded lazily by name. */
export class SafetensorsFile {
  readonly entries: Map<string, TensorEntry>;
  readonly metadata: Record<string, string>;
  private readonly dataStart: number;

  constructor(private readonly bytes: Uint8Array, readonly source = '<buffer>') {
    if (bytes.byteLength < 8) throw new CheckpointFormatError(`${source}: too short for a safetensors file (${bytes.byteLength} bytes)`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLen = Number(view.getBigUint64(0, true));
    if (headerLen > bytes.byteLength - 8) throw new CheckpointFormatError(`${source}: header length ${headerLen} exceeds file size ${bytes.byteLength}`);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    } catch (e) {
      throw new CheckpointFormatError(`${source}: header is not JSON (${(e as Error).message})`);
    }
    this.dataStart = 8 + headerLen;
    this.metadata = (header.__metadata__ as Record<string, string>) ?? {};
    this.entries = new Map();
    for (const [name, entry] of Object.entries(header)) {
      if (name !== '__metadata__') this.entries.set(name, entry as TensorEntry);
    }
  }

  static read(path: string): SafetensorsFile {
    return new SafetensorsFile(readFileSync(path), path);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Decodes tensor `name` to float32. Throws MissingWeightError / CheckpointFormatError. */
  get(name: string): HostTensor {
    const entry = this.entries.get(name);
    if (!entry) throw new MissingWeightError(name, this.source);
    const [begin, end] = entry.data_offsets;
    const raw = this.bytes.subarray(this.dataStart + begin, this.dataStart + end);
    const size = entry.shape.reduce((a, b) => a * b, 1);
    return { shape: entry.shape, data: decode(raw, entry.dtype, size, `${this.source}:${name}`) };
  }
}

function decode(raw: Uint8Array, dtype: string, size: number, where: string): Float32Array {
  const bytesPer = dtype === 'F32' ? 4 : dtype === 'F16' || dtype === 'BF16' ? 2 : 0;
  if (bytesPer === 0) throw new CheckpointFormatError(`${where}: dtype ${dtype} is not supported (F32, F16, BF16 are)`);
  if (raw.byteLength !== size * bytesPer) {
    throw new CheckpointFormatError(`${where}: ${raw.byteLength} bytes for ${size} ${dtype} values`);
  }
  // Copy into a fresh aligned buffer: the data section is not 4-byte aligned in general.
  const copy = new Uint8Array(raw);
  if (dtype === 'F32') return new Float32Array(copy.buffer, 0, size);
  const halves = new Uint16Array(copy.buffer, 0, size);
  const out = new Float32Array(size);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < size; i++) bits[i] = halves[i] << 16;
    return out;
  }
  for (let i = 0; i < size; i++) out[i] = halfToFloat(halves[i]);
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * Serializes float32 tensors (F32, keys sorted like the Python writer) with
 * optional string metadata (`{format: 'pt'}` makes transformers accept it).
 */
export function serializeSafetensors(
  tensors: Map<string, HostTensor>,
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new CheckpointFormatError(`tensor ${name}: shape [${t.shape}] needs ${size} values, got ${t.data.length}`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size * 4] };
    offset += size * 4;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so the data section starts 8-byte aligned (as the Rust writer does).
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(headerBytes);
    headerBytes = p;
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

export function writeSafetensors(path: string, tensors: Map<string, HostTensor>, metadata?: Record<string, string>): void {
  writeFileSync(path, serializeSafetensors(tensors, metadata));
}

/** Tensor lookup across one file or the shards listed in `<base>.safetensors.index.json`. */
export class CheckpointReader {
  private readonly files = new Map<string, SafetensorsFile>();
  private readonly location = new Map<string, string>();

  /** Opens `<dir>/<base>.safetensors` or, failing that, its sharded index. */
  constructor(readonly dir: string, base = 'model') {
    const single = join(dir, `${base}.safetensors`);
    const index = join(dir, `${base}.safetensors.index.json`);
    if (existsSync(single)) {
      const f = SafetensorsFile.read(single);
      this.files.set(single, f);
      for (const name of f.entries.keys()) this.location.set(name, single);
    } else if (existsSync(index)) {
      const map = JSON.parse(readFileSync(index, 'utf8')).weight_map as Record<string, string> | undefined;
      if (!map) throw new CheckpointFormatError(`${index}: no weight_map`);
      for (const [name, file] of Object.entries(map)) this.location.set(name, join(dir, file));
    } else {
      throw new CheckpointFormatError(`${dir}: neither ${base}.safetensors nor ${base}.safetensors.index.json exists`);
    }
  }

  names(): string[] {
    return [...this.location.keys()];
  }

  has(name: string): boolean {
    return this.location.has(name);
  }

  shape(name: string): number[] {
    return this.file(name).entries.get(name)!.shape;
  }

  get(name: string): HostTensor {
    return this.file(name).get(name);
  }

  private file(name: string): SafetensorsFile {
    const path = this.location.get(name);
    if (!path) throw new MissingWeightError(name, this.dir);
    let f = this.files.get(path);
    if (!f) {
      f = SafetensorsFile.read(path);
      this.files.set(path, f);
    }
    return f;
  }
}

/** Exact byte size of the F32 safetensors file `serializeSafetensors` would write for these shapes. */
export function safetensorsFileSize(shapes: Map<string, number[]>, metadata: Record<string, string> = { format: 'pt' }): number {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of [...shapes.keys()].sort()) {
    const size = shapes.get(name)!.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape: shapes.get(name), data_offsets: [offset, offset + size] };
    offset += size;
  }
  return 8 + Math.ceil(new TextEncoder().encode(JSON.stringify(header)).length / 8) * 8 + offset;
}
