/**
 * Minimal safetensors reader/writer (F32 and I32) for training checkpoints.
 * Format: 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets}, __metadata__: {string: string}}`,
 * then the raw little-endian tensor bytes.
 */
import { CheckpointMismatchError } from './errors.js';

export interface NamedArray {
  shape: number[];
  data: Float32Array | Int32Array;
}

export function encodeSafetensors(tensors: Map<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.data instanceof Float32Array ? 'F32' : 'I32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header so tensor data starts 8-byte aligned (what the reference writer does).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, NamedArray>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new CheckpointMismatchError(`checkpoint bytes: ${bytes.length} bytes is too short for safetensors`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (8 + n > bytes.length) throw new CheckpointMismatchError(`checkpoint header length ${n} exceeds ${bytes.length} bytes`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, any>;
  const base = 8 + n;
  const tensors = new Map<string, NamedArray>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [a, b] = info.data_offsets as [number, number];
    const copy = bytes.slice(base + a, base + b); // copy: aligned, owned buffer
    if (info.dtype === 'F32') tensors.set(name, { shape: info.shape, data: new Float32Array(copy.buffer) });
    else if (info.dtype === 'I32') tensors.set(name, { shape: info.shape, data: new Int32Array(copy.buffer) });
    else throw new CheckpointMismatchError(`tensor ${name}: dtype ${info.dtype} is not supported (F32, I32)`);
  }
  return { tensors, metadata: (header.__metadata__ ?? {}) as Record<string, string> };
}

/** Exact byte length of the safetensors file `encodeSafetensors` would write for these F32 shapes (no data needed). */
export function safetensorsByteLength(shapes: Map<string, number[]>, metadata: Record<string, string> = {}): number {
  const fake = new Map<string, NamedArray>();
  let dataBytes = 0;
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  dataBytes = offset;
  void fake;
  const json = JSON.stringify(header);
  const len = Buffer.byteLength(json);
  return 8 + len + ((8 - ((8 + len) % 8)) % 8) + dataBytes;
}
