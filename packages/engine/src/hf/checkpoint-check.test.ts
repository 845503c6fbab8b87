import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../models/test-helpers.js';
import { estimateTrainingMemory } from '../measure/memory-estimate.js';
import { checkHfCheckpoint, CheckpointValidationError } from './checkpoint-check.js';
import { loadHfModel } from './model-io.js';

const tmp = mkdtempSync(join(tmpdir(), 'peft-lab-ckpt-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;

function readSt(path: string): { header: Header & { __metadata__?: unknown }; data: Buffer } {
  const b = readFileSync(path);
  const n = Number(b.readBigUInt64LE(0));
  return { header: JSON.parse(b.subarray(8, 8 + n).toString('utf8')), data: b.subarray(8 + n) };
}
function writeSt(path: string, header: object, data: Uint8Array): void {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, data]));
}
let copies = 0;
function copyOf(fixture: string): string {
  const dir = join(tmp, `${fixture}-${++copies}`);
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}
/** model.safetensors split into two shards (tensors alternate) plus the index. */
function shard(dir: string): string[] {
  const { header, data } = readSt(join(dir, 'model.safetensors'));
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const files = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const weightMap: Record<string, string> = {};
  files.forEach((file, s) => {
    const h: Record<string, unknown> = {};
    const parts: Buffer[] = [];
    let at = 0;
    names.filter((_, i) => i % 2 === s).forEach((name) => {
      const e = header[name];
      const bytes = data.subarray(e.data_offsets[0], e.data_offsets[1]);
      h[name] = { ...e, data_offsets: [at, at + bytes.length] };
      parts.push(bytes);
      at += bytes.length;
      weightMap[name] = file;
    });
    writeSt(join(dir, file), h, Buffer.concat(parts));
  });
  unlinkSync(join(dir, 'model.safetensors'));
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return files;
}
function rejects(dir: string): CheckpointValidationError {
  try {
    checkHfCheckpoint(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointValidationError);
    return err as CheckpointValidationError;
  }
  throw new Error(`${dir} passed`);
}

describe('checkHfCheckpoint', () => {
  it('reports family, parameter count (as estimateTrainingMemory counts), dtype and bytes of the three fixture families', () => {
    for (const [fixture, family, head] of [['gpt2-tiny', 'gpt2', 'causal-lm'], ['llama-tiny', 'llama', 'causal-lm'], ['bert-tiny-cls', 'bert', 'sequence-classification']] as const) {
      const dir = join(FIXTURES, fixture);
      const c = checkHfCheckpoint(dir);
      expect(c).toMatchObject({ family, head, modelType: family, dtype: 'F32', missingHeadTensors: [] });
      const estimate = estimateTrainingMemory({ config: c.config, head, method: 'full', batchSize: 1, seqLen: 8 });
      expect(c.parameterCount).toBe(estimate.parameterCount);
      const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];
      expect(c.bytesOnDisk).toBe(files.reduce((n, f) => n + readFileSync(join(dir, f)).length, 0));
    }
    expect(checkHfCheckpoint(join(FIXTURES, 'gpt2-tiny')).parameterCount).toBe(133_888);
  });

  it('reads a sharded checkpoint through its index (and loadHfModel agrees it is whole)', () => {
    const dir = copyOf('gpt2-tiny');
    shard(dir);
    const c = checkHfCheckpoint(dir);
    expect(c.parameterCount).toBe(133_888);
    expect(c.weightFiles.map((f) => f.slice(dir.length + 1))).toEqual(['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    loadHfModel(dir).model.dispose();
  });

  it('names the file, and the tensor, of each problem', () => {
    const noConfig = copyOf('gpt2-tiny');
    unlinkSync(join(noConfig, 'config.json'));
    expect(rejects(noConfig).message).toBe(`${join(noConfig, 'config.json')}: is missing (not a Hugging Face model directory)`);

    const badJson = copyOf('gpt2-tiny');
    writeFileSync(join(badJson, 'config.json'), '{ "model_type": ');
    expect(rejects(badJson).message).toMatch(new RegExp(`^${join(badJson, 'config.json')}: not valid JSON`));

    const unsupported = copyOf('gpt2-tiny');
    writeFileSync(join(unsupported, 'config.json'), JSON.stringify({ model_type: 't5' }));
    const e0 = rejects(unsupported);
    expect(e0.message).toMatch(new RegExp(`^${join(unsupported, 'config.json')}: unsupported config: model_type="t5" \\(supported: .*gpt2`));
    expect((e0.cause as { code: string }).code).toBe('UNSUPPORTED_CONFIG');

    const missingShard = copyOf('gpt2-tiny');
    const [, second] = shard(missingShard);
    unlinkSync(join(missingShard, second));
    const e1 = rejects(missingShard);
    expect(e1.file).toBe(join(missingShard, 'model.safetensors.index.json'));
    expect(e1.message).toContain(`names shard ${second} (for tensor `);
    expect(e1.message).toContain(`but ${join(missingShard, second)} does not exist`);

    const shape = copyOf('gpt2-tiny');
    const st = readSt(join(shape, 'model.safetensors'));
    st.header['transformer.h.1.mlp.c_fc.weight'].shape = [256, 64]; // same bytes, transposed
    writeSt(join(shape, 'model.safetensors'), st.header, st.data);
    const e2 = rejects(shape);
    expect(e2.tensor).toBe('transformer.h.1.mlp.c_fc.weight');
    expect(e2.message).toBe(`${join(shape, 'model.safetensors')}: tensor transformer.h.1.mlp.c_fc.weight has shape [256, 64], but config.json implies [64, 256]`);

    const missing = copyOf('llama-tiny');
    const lt = readSt(join(missing, 'model.safetensors'));
    delete (lt.header as Record<string, unknown>)['model.layers.1.self_attn.v_proj.weight'];
    writeSt(join(missing, 'model.safetensors'), lt.header, lt.data);
    expect(rejects(missing).message).toBe(`${join(missing, 'model.safetensors')}: has no tensor model.layers.1.self_attn.v_proj.weight, which config.json (llama, 2 layers) needs`);

    const truncated = copyOf('gpt2-tiny');
    const full = readFileSync(join(truncated, 'model.safetensors'));
    writeFileSync(join(truncated, 'model.safetensors'), full.subarray(0, full.length - 100));
    expect(rejects(truncated).message).toMatch(/ends at data byte \d+, but the file holds \d+ \(truncated\?\)/);

    const noTokenizer = copyOf('gpt2-tiny');
    unlinkSync(join(noTokenizer, 'tokenizer.json'));
    expect(rejects(noTokenizer).message).toBe(`${join(noTokenizer, 'tokenizer.json')}: is missing (the engine tokenizes with tokenizer.json)`);

    const noWeights = copyOf('gpt2-tiny');
    unlinkSync(join(noWeights, 'model.safetensors'));
    expect(rejects(noWeights).message).toContain('has neither model.safetensors nor model.safetensors.index.json');
  });
});
