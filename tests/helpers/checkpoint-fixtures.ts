// Copies of the tiny Hugging Face fixtures, whole, sharded or broken on purpose (the
// base-model registry's tests): safetensors files are edited at the byte level, so each
// copy differs from the fixture in exactly the way the test names.
import { cpSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../../packages/engine/test-fixtures', import.meta.url));
export const LLAMA_TINY_DIR = join(FIXTURES_DIR, 'llama-tiny');

type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };
export type SafetensorsHeader = Record<string, Entry>;

export function readSafetensors(path: string): { header: SafetensorsHeader; metadata?: unknown; data: Buffer } {
  const b = readFileSync(path);
  const n = Number(b.readBigUInt64LE(0));
  const { __metadata__: metadata, ...header } = JSON.parse(b.subarray(8, 8 + n).toString('utf8'));
  return { header, metadata, data: b.subarray(8 + n) };
}

export function writeSafetensors(path: string, header: object, data: Uint8Array): void {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, data]));
}

/** `fixture` (a directory name under packages/engine/test-fixtures) copied to `dest`. */
export function copyFixture(fixture: string, dest: string): string {
  cpSync(join(FIXTURES_DIR, fixture), dest, { recursive: true });
  return dest;
}

/** Splits `dir/model.safetensors` into two shards (tensors alternating) and writes the index. */
export function shardCheckpoint(dir: string): string[] {
  const { header, data } = readSafetensors(join(dir, 'model.safetensors'));
  const names = Object.keys(header);
  const files = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const weightMap: Record<string, string> = {};
  files.forEach((file, s) => {
    const h: Record<string, Entry> = {};
    const parts: Buffer[] = [];
    let at = 0;
    for (const name of names.filter((_, i) => i % 2 === s)) {
      const e = header[name];
      const bytes = data.subarray(e.data_offsets[0], e.data_offsets[1]);
      h[name] = { ...e, data_offsets: [at, at + bytes.length] };
      parts.push(bytes);
      at += bytes.length;
      weightMap[name] = file;
    }
    writeSafetensors(join(dir, file), h, Buffer.concat(parts));
  });
  unlinkSync(join(dir, 'model.safetensors'));
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
  return files;
}

/** Gives `tensor` of `dir/model.safetensors` another recorded shape (same byte count: only the header lies). */
export function reshapeTensor(dir: string, tensor: string, shape: number[]): void {
  const path = join(dir, 'model.safetensors');
  const { header, data } = readSafetensors(path);
  header[tensor] = { ...header[tensor], shape };
  writeSafetensors(path, header, data);
}
