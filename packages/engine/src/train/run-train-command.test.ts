import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../hf/safetensors.js';
import { byteTokenize, parseJsonlTask, splitExamples } from './jsonl-task.js';
import { parseSetValue, runTrainCommand } from './run-train-command.js';

const dir = mkdtempSync(join(tmpdir(), 'peft-train-'));
const fixture = join(import.meta.dirname, '../../test-fixtures/gpt2-tiny');
beforeAll(async () => { await tf.setBackend('cpu'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JSONL tasks', () => {
  it('reads {text,label} as classification with sorted label names, {text} as causal LM', () => {
    const cls = parseJsonlTask('{"text":"hi","label":"spam"}\n\n{"text":"yo","label":"ham"}\n', byteTokenize);
    expect(cls.task).toBe('sequence-classification');
    expect(cls.labelNames).toEqual(['ham', 'spam']);
    expect(cls.examples[0]).toEqual({ inputIds: [104, 105], label: 1 });
    expect(parseJsonlTask('{"text":"abc"}', byteTokenize, { maxLength: 2 }).examples[0].inputIds).toEqual([97, 98]);
  });

  it('names the line and field of bad input', () => {
    expect(() => parseJsonlTask('{"text":1}', byteTokenize, { file: 'f.jsonl' })).toThrow(/f\.jsonl:1: field "text"/);
    expect(() => parseJsonlTask('{"text":"a","label":"x"}\n{"text":"b"}', byteTokenize, { file: 'f.jsonl' })).toThrow(/f\.jsonl:2/);
    expect(() => parseJsonlTask('nope', byteTokenize, { file: 'f.jsonl' })).toThrow(/not valid JSON/);
  });

  it('splits deterministically', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    const a = splitExamples(xs, 0.2, 1), b = splitExamples(xs, 0.2, 1);
    expect(a).toEqual(b);
    expect(a.eval).toHaveLength(4);
    expect([...a.train, ...a.eval].sort((x, y) => x - y)).toEqual(xs);
  });

  it('parses --set values', () => {
    expect(parseSetValue('8')).toBe(8);
    expect(parseSetValue('true')).toBe(true);
    expect(parseSetValue('c_attn,c_proj')).toEqual(['c_attn', 'c_proj']);
    expect(parseSetValue('houlsby')).toBe('houlsby');
  });
});

describe('runTrainCommand', { timeout: 60_000 }, () => {
  it('trains a local GPT-2 checkpoint with prefix tuning and writes the folded adapter and a summary', async () => {
    const task = join(dir, 'task.jsonl');
    writeFileSync(task, Array.from({ length: 12 }, (_, i) => JSON.stringify({ text: i % 2 ? 'buy now cheap' : 'see you at lunch', label: i % 2 ? 'spam' : 'ham' })).join('\n'));
    const out = join(dir, 'out');
    const lines: string[] = [];
    const r = await runTrainCommand({ model: fixture, task, method: 'prefix', set: { numVirtualTokens: '4', prefixProjection: 'true', batchSize: '4', latencySeqLen: '8', latencyRuns: '2' }, steps: 3, out, log: (l) => lines.push(l) });
    expect(r.status).toBe('completed');
    expect(r.task).toBe('sequence-classification');
    expect(lines.some((l) => l.startsWith('step 3/3'))).toBe(true);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.measurements.trainableParams).toBeGreaterThan(0);
    expect(summary.measurements.latency.batch8Ms).toBeGreaterThan(0);
    const st = new SafetensorsFile(readFileSync(join(out, 'adapter_model.safetensors')));
    // The folded table, and the classification head GPT-2's causal checkpoint lacks (random at load), trained as peft's modules_to_save.
    expect([...st.entries.keys()].sort()).toEqual(['base_model.score.weight', 'prompt_embeddings']);
    expect(st.entries.get('prompt_embeddings')!.shape).toEqual([4, 2 * 2 * 64]);
    expect(st.entries.get('base_model.score.weight')!.shape).toEqual([2, 64]);
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'PREFIX_TUNING', task_type: 'SEQ_CLS', modules_to_save: ['classifier', 'score'] });
  });

  it('rejects a task that is not a file', async () => {
    await expect(runTrainCommand({ model: 'builtin', task: join(dir, 'missing.jsonl'), method: 'adapter', steps: 1, out: dir })).rejects.toThrow(/task = /);
  });
});
