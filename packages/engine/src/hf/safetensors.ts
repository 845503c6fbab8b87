/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte
 * little-endian header length, a JSON header `{name: {dtype, shape,
 * data_offsets}}`, then raw little-endian tensor bytes. Read F32/F16/BF16 into
 * Float32Array (the engine computes in float32); write F32.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
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

/** Reads `length` bytes at `offset` of the file's data into `into` (a view of the destination). */
type ByteSource = (offset: number, into: Uint8Array) => void;

/**
 * One parsed safetensors file; tensors are decoded lazily by name. `read(path)` keeps only the
 * header in memory and reads each tensor straight from the file into its float32 array when
 * asked: loading a 500 MB checkpoint holds one tensor in JavaScript at a time, not the file too.
 */
export class SafetensorsFile {
  readonly entries: Map<string, TensorEntry>;
  readonly metadata: Record<string, string>;
  private readonly dataStart: number;
  private readonly source: string;
  private readonly readBytes: ByteSource;

  constructor(bytes: Uint8Array, source?: string);
  constructor(header: { headerLen: number; headerJson: Uint8Array; size: number }, source: string, readBytes: ByteSource);
  constructor(
    input: Uint8Array | { headerLen: number; headerJson: Uint8Array; size: number }, source = '<buffer>', readBytes?: ByteSource,
  ) {
    this.source = source;
    let headerLen: number, headerJson: Uint8Array, size: number;
    if (input instanceof Uint8Array) {
      if (input.byteLength < 8) throw new CheckpointFormatError(`${source}: too short for a safetensors file (${input.byteLength} bytes)`);
      headerLen = Number(new DataView(input.buffer, input.byteOffset, input.byteLength).getBigUint64(0, true));
      size = input.byteLength;
      headerJson = input.subarray(8, 8 + Math.min(headerLen, Math.max(0, size - 8)));
      this.readBytes = (offset, into) => into.set(input.subarray(offset, offset + into.byteLength));
    } else {
      ({ headerLen, headerJson, size } = input);
      this.readBytes = readBytes!;
    }
    if (headerLen > size - 8) throw new CheckpointFormatError(`${source}: header length ${headerLen} exceeds file size ${size}`);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(new TextDecoder().decode(headerJson));
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

  /** Opens `path` reading only its header; tensors are read from the file on `get`. */
  static read(path: string): SafetensorsFile {
    const fd = openSync(path, 'r');
    try {
      const lenBytes = new Uint8Array(8);
      const got = readSync(fd, lenBytes, 0, 8, 0);
      const size = fstatSync(fd).size;
      if (got < 8) throw new CheckpointFormatError(`${path}: too short for a safetensors file (${size} bytes)`);
      const headerLen = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
      if (headerLen > size - 8) throw new CheckpointFormatError(`${path}: header length ${headerLen} exceeds file size ${size}`);
      const headerJson = new Uint8Array(headerLen);
      readSync(fd, headerJson, 0, headerLen, 8);
      return new SafetensorsFile({ headerLen, headerJson, size }, path, (offset, into) => {
        const f = openSync(path, 'r');
        try {
          for (let done = 0; done < into.byteLength;) {
            const n = readSync(f, into, done, into.byteLength - done, offset + done);
            if (n === 0) throw new CheckpointFormatError(`${path}: file ends inside tensor data at byte ${offset + done}`);
            done += n;
          }
        } finally {
          closeSync(f);
        }
      });
    } finally {
      closeSync(fd);
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Decodes tensor `name` to float32. Throws MissingWeightError / CheckpointFormatError. */
  get(name: string): HostTensor {
    const entry = this.entries.get(name);
    if (!entry) throw new MissingWeightError(name, this.source);
    const [begin, end] = entry.data_offsets;
    const size = entry.shape.reduce((a, b) => a * b, 1);
    const where = `${this.source}:${name}`;
    const bytesPer = entry.dtype === 'F32' ? 4 : entry.dtype === 'F16' || entry.dtype === 'BF16' ? 2 : 0;
    if (bytesPer === 0) throw new CheckpointFormatError(`${where}: dtype ${entry.dtype} is not supported (F32, F16, BF16 are)`);
    if (end - begin !== size * bytesPer) throw new CheckpointFormatError(`${where}: ${end - begin} bytes for ${size} ${entry.dtype} values`);
    // Read into a fresh aligned array: the data section is not 4-byte aligned in general.
    const raw = new Uint8Array(size * bytesPer);
    this.readBytes(this.dataStart + begin, raw);
    return { shape: entry.shape, data: decode(raw, entry.dtype, size) };
  }
}

/** raw: a fresh, aligned array of exactly the tensor's bytes (checked by SafetensorsFile.get). */
function decode(raw: Uint8Array, dtype: string, size: number): Float32Array {
  if (dtype === 'F32') return new Float32Array(raw.buffer, raw.byteOffset, size);
  const halves = new Uint16Array(raw.buffer, raw.byteOffset, size);
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

/** One tensor already encoded in its dtype, for `encodeSafetensors`. */
export interface EncodedTensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/**
 * safetensors bytes of tensors already encoded (keys sorted like the Python writer; the
 * header padded with spaces so the data section starts 8-byte aligned, as the Rust writer does).
 */
export function encodeSafetensors(tensors: readonly EncodedTensor[], metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of sorted) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
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
  for (const t of sorted) {
    out.set(t.bytes, at);
    at += t.bytes.byteLength;
  }
  return out;
}

/**
 * Serializes float32 tensors (F32) with optional string metadata (`{format: 'pt'}` makes
 * transformers accept it).
 */
export function serializeSafetensors(
  tensors: Map<string, HostTensor>,
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const encoded = [...tensors].map(([name, t]): EncodedTensor => {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new CheckpointFormatError(`tensor ${name}: shape [${t.shape}] needs ${size} values, got ${t.data.length}`);
    return { name, dtype: 'F32', shape: t.shape, bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
  });
  return encodeSafetensors(encoded, metadata);
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
