import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachPeft, loadHfModel, saveAttachment, trainTrial, type HeadKind, type TokenExample } from '@peft-lab/engine';
import { startServe, type RunningServe } from './index.js';

const FIXTURES = resolve(__dirname, '../../engine/test-fixtures');
const GPT2 = join(FIXTURES, 'gpt2-tiny');
const TEXTS = ['the cat sat on', 'hello world, this is a longer text', 'a b'];

type Method = Parameters<typeof attachPeft>[1];
interface Trained {
  name: string;
  method: Method;
  head: HeadKind;
  dir: string;
  /** What the model that trained it gives for each of TEXTS: class probabilities (per token for tags), or last-token probabilities + 3 greedy ids. */
  expected: { probs: number[]; greedy?: number[]; perToken?: number[][] }[];
}

/** What "loading this adapter alone" gives: the trained model itself, one text at a time. */
function reference(model: ReturnType<typeof loadHfModel>['model'], ids: number[], head: HeadKind): Trained['expected'][number] {
  if (head === 'token-classification') {
    const perToken = tf.tidy(() => {
      const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
      return tf.softmax(model.forward({ inputIds, attentionMask: tf.onesLike(inputIds) }, { training: false })).arraySync() as number[][][];
    })[0];
    return { probs: [], perToken };
  }
  const run = (row: number[]) => tf.tidy(() => {
    const inputIds = tf.tensor2d([row], [1, row.length], 'int32');
    const out = model.forward({ inputIds, attentionMask: tf.onesLike(inputIds) }, { training: false });
    return head === 'causal-lm' ? tf.softmax(out.slice([0, row.length - 1, 0], [1, 1, -1]).reshape([-1])) : tf.softmax(out.reshape([-1]));
  });
  const first = run(ids);
  const probs = Array.from(first.dataSync());
  first.dispose();
  if (head !== 'causal-lm') return { probs };
  const greedy: number[] = [];
  let row = [...ids];
  for (let i = 0; i < 3; i++) {
    const p = i === 0 ? probs : Array.from((() => { const t = run(row); const d = t.dataSync(); t.dispose(); return d; })());
    const next = p.indexOf(Math.max(...p));
    greedy.push(next);
    row = [...row, next];
  }
  return { probs, greedy };
}

let work: string;
const trained: Trained[] = [];

async function train(name: string, method: Method, config: Record<string, unknown>, head: HeadKind = 'causal-lm', seed = 1): Promise<void> {
  const numLabels = head === 'causal-lm' ? undefined : 2;
  const { model, tokenizer } = loadHfModel(GPT2, { head, numLabels, seed });
  const attachment = attachPeft(model, method, config, name);
  const ids = TEXTS.map((t) => tokenizer!.encode(t));
  const label = (i: number) => (head === 'sequence-classification' ? { label: i % 2 } : head === 'token-classification' ? { label: ids[i % 2].map((id) => id % 2) } : {});
  const data: TokenExample[] = Array.from({ length: 8 }, (_, i) => ({ inputIds: ids[i % 2], ...label(i) }));
  const r = await trainTrial({ model, attachment, task: head, metric: head === 'causal-lm' ? 'perplexity' : head === 'token-classification' ? 'token-accuracy' : 'accuracy', trainData: data, lr: 5e-2, batchSize: 4, maxSteps: 3, seed, latency: false });
  expect(r.status).toBe('completed');
  const dir = join(work, name);
  await saveAttachment(model, attachment, null, dir);
  // After saving (prefix folds its MLP there): what this adapter computes on its own.
  trained.push({ name, method, head, dir, expected: ids.map((row) => reference(model, row, head)) });
  attachment.dispose();
  model.dispose();
}

const post = (s: RunningServe, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

beforeAll(async () => {
  await tf.setBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'peft-lab-serve-test-'));
  await train('lora-a', 'lora', { r: 4, alpha: 8, targetModules: ['c_attn'], seed: 1 });
  await train('lora-b', 'lora', { r: 4, alpha: 16, targetModules: ['c_attn', 'c_proj'], seed: 2 }, 'causal-lm', 2);
  await train('dora', 'lora', { r: 2, targetModules: ['c_attn'], useDora: true });
  await train('ia3', 'ia3', {});
  await train('bottleneck', 'adapter', { bottleneck: 8, upInitStd: 0.01 });
  await train('prefix', 'prefix', { numVirtualTokens: 3, prefixProjection: true });
  await train('prompt', 'prompt', { numVirtualTokens: 4 });
  await train('spam-lora', 'lora', { r: 4, targetModules: ['c_attn'] }, 'sequence-classification', 3);
  await train('spam-prompt', 'prompt', { numVirtualTokens: 2 }, 'sequence-classification', 4);
  await train('tags-ia3', 'ia3', {}, 'token-classification', 5);
  await train('tags-prefix', 'prefix', { numVirtualTokens: 2 }, 'token-classification', 6);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('peft-lab serve', { timeout: 60_000 }, () => {
  let s: RunningServe;
  beforeAll(async () => {
    s = await startServe({
      modelDir: GPT2, modelName: 'gpt2-tiny', port: 0, maxAdapters: 16, logError: () => {},
      adapters: trained.map((t) => ({ name: t.name, source: { kind: 'dir' as const, ref: t.dir, dir: t.dir, labels: t.head === 'causal-lm' ? undefined : t.head === 'token-classification' ? ['even', 'odd'] : ['ham', 'spam'] } })),
    });
  });
  afterAll(async () => { await s?.close(); });

  it('predicts, for every method, what the adapter gives alone — with requests for all adapters interleaved and batched per adapter', async () => {
    // Every adapter asked at once, one text per request and all texts in one request: the queue batches them per adapter.
    const single = trained.flatMap((t) => TEXTS.map((text, i) => ({ t, i, texts: [text] })));
    const whole = trained.map((t) => ({ t, i: -1, texts: TEXTS }));
    const answers = await Promise.all([...single, ...whole].map(async (q) => ({ q, res: await post(s, '/v1/predict', { adapter: q.t.name, texts: q.texts, topK: 5, maxNewTokens: 3 }) })));
    for (const { q, res } of answers) {
      expect(res.status, q.t.name).toBe(200);
      const body = await res.json();
      expect(body.head).toBe(q.t.head);
      const rows = q.i === -1 ? TEXTS.map((_, i) => i) : [q.i];
      rows.forEach((i, k) => {
        const p = body.predictions[k];
        const want = q.t.expected[i];
        if (q.t.head === 'token-classification') {
          expect(p.tokens).toHaveLength(want.perToken!.length);
          p.tokens.forEach((tok: { tag: string; probability: number }, j: number) => {
            const row = want.perToken![j];
            const best = row.indexOf(Math.max(...row));
            expect(tok.tag, `${q.t.name} token ${j}`).toBe(['even', 'odd'][best]);
            expect(Math.abs(tok.probability - row[best])).toBeLessThan(1e-5);
          });
        } else if (q.t.head === 'sequence-classification') {
          expect(maxDiff([p.probabilities.ham, p.probabilities.spam], want.probs), q.t.name).toBeLessThan(1e-5);
          expect(p.label).toBe(want.probs[1] > want.probs[0] ? 'spam' : 'ham');
        } else {
          const top = [...want.probs.keys()].sort((a, b) => want.probs[b] - want.probs[a]).slice(0, 5);
          expect(p.topK.map((x: { id: number }) => x.id), `${q.t.name} text ${i}`).toEqual(top);
          expect(maxDiff(p.topK.map((x: { probability: number }) => x.probability), top.map((id) => want.probs[id])), q.t.name).toBeLessThan(1e-5);
          expect(p.continuationIds, `${q.t.name} text ${i}`).toEqual(want.greedy);
        }
      });
    }
    const stats = await (await fetch(`${s.url}/v1/stats`)).json();
    expect(stats.switchMs.count).toBeGreaterThanOrEqual(trained.length - 1);
    expect(stats.textsPerForward.count).toBeLessThanOrEqual(answers.length);
    expect(stats.latencyMs.batch1.count).toBeGreaterThanOrEqual(single.length);
    expect(stats.loadMs.count).toBe(trained.length);
    expect(stats.bytesPerAdapter.p50).toBeGreaterThan(0);
  });

  it('leaves no tensor behind: a round of predictions for every adapter keeps numTensors', async () => {
    const round = () => Promise.all(trained.map((t) => s.queue.predict(t.name, TEXTS, { topK: 3, maxNewTokens: 2 })));
    await round();
    const before = tf.memory().numTensors;
    await round();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs requests that wait together as one forward per adapter, never mixing adapters', async () => {
    const [a, b] = trained;
    const before = s.stats.forwardBatch.count;
    const opts = { topK: 5, maxNewTokens: 3 };
    // Queued in one tick, interleaved a, b, a, b, a: the queue takes all of a's, then all of b's.
    const out = await Promise.all([a, b, a, b, a].map((t, k) => s.queue.predict(t.name, [TEXTS[k % 3]], opts)));
    expect(s.stats.forwardBatch.count - before).toBe(2);
    [a, b, a, b, a].forEach((t, k) => {
      expect((out[k][0] as { continuationIds: number[] }).continuationIds).toEqual(t.expected[k % 3].greedy);
    });
  });

  it('over HTTP, concurrent requests from another process for two adapters run in fewer forwards than requests', async () => {
    // The client in its own process: in this one, its sockets would need the loop the forwards block.
    const script = `const u=${JSON.stringify(s.url)};Promise.all(Array.from({length:16},(_,i)=>fetch(u+'/v1/predict',{method:'POST',body:JSON.stringify({adapter:i%2?'lora-a':'lora-b',texts:['the cat sat on'],maxNewTokens:0})}).then(r=>r.status))).then(x=>console.log(JSON.stringify(x)))`;
    const before = s.stats.forwardBatch.count;
    const out = await new Promise<string>((done) => {
      const child = spawn(process.execPath, ['-e', script]);
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('close', () => done(text));
    });
    expect(JSON.parse(out)).toEqual(Array(16).fill(200));
    expect(s.stats.forwardBatch.count - before).toBeLessThan(16);
  });

  it('the base model answers as adapter "base", and a peft-saved LoRA fixture loads beside the trained ones', async () => {
    const base = await post(s, '/v1/predict', { adapter: 'base', texts: ['hello'], maxNewTokens: 0 });
    expect(base.status).toBe(200);
    expect((await base.json()).predictions[0]).toMatchObject({ continuation: '', continuationIds: [] });
    // One token: the classification pooling still runs.
    const one = await post(s, '/v1/predict', { adapter: 'spam-lora', texts: ['a'] });
    expect(one.status).toBe(200);
    const fixture = await post(s, '/v1/adapters', { name: 'peft-fixture', dir: join(FIXTURES, 'gpt2-tiny-lora') });
    expect(fixture.status).toBe(201);
    expect((await fixture.json()).method).toBe('lora');
    const listed = await (await fetch(`${s.url}/v1/adapters`)).json();
    expect(listed.adapters.map((a: { name: string }) => a.name)).toContain('peft-fixture');
    const del = await fetch(`${s.url}/v1/adapters/peft-fixture`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const gone = await post(s, '/v1/predict', { adapter: 'peft-fixture', texts: ['hello'] });
    expect(gone.status).toBe(404);
  });

  it('answers each bad input with its 4xx naming the problem, and the next good request still works', async () => {
    const good = async () => {
      const r = await post(s, '/v1/predict', { adapter: 'lora-a', texts: ['still up'] });
      expect(r.status).toBe(200);
    };
    const cases: [string, () => Promise<Response>, number, RegExp][] = [
      ['unknown adapter', () => post(s, '/v1/predict', { adapter: 'nope', texts: ['x'] }), 404, /adapter "nope": no such adapter on this server \(adapters: .*lora-a.*, and base; POST \/v1\/adapters to load one\)/],
      ['malformed JSON', () => post(s, '/v1/predict', '{"adapter": "lora-a", texts: ['), 400, /body: not valid JSON/],
      ['texts missing', () => post(s, '/v1/predict', { adapter: 'lora-a' }), 400, /^texts: /],
      ['text over the length', () => post(s, '/v1/predict', { adapter: 'lora-a', texts: ['ok', 'word '.repeat(400)] }), 413, /texts\[1\]: \d+ tokens, the limit for this adapter on this model is 128/],
      ['over the length with a prompt', () => post(s, '/v1/predict', { adapter: 'prompt', texts: ['word '.repeat(400)] }), 413, /limit for this adapter on this model is 124/],
      ['adapter of another base (shapes)', () => post(s, '/v1/adapters', { name: 'qwen', dir: join(FIXTURES, 'qwen2-tiny-lora-all') }), 422, /does not fit the served base model: .*(base_model_name_or_path|matches no linear module|shape)/],
      ['adapter of another base (name)', () => {
        const dir = join(work, 'renamed');
        cpSync(trained[0].dir, dir, { recursive: true });
        const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
        writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, base_model_name_or_path: 'meta-llama/Llama-3.2-1B' }));
        return post(s, '/v1/adapters', { name: 'renamed', dir });
      }, 422, /base_model_name_or_path="meta-llama\/Llama-3.2-1B", the server runs "gpt2-tiny"/],
      ['labels of another count', () => post(s, '/v1/adapters', { name: 'spam3', dir: trained.find((t) => t.name === 'spam-lora')!.dir, labels: ['a', 'b', 'c'] }), 400, /labels: 3 names for the 2 classes adapter "spam3" scores/],
      ['not an adapter directory', () => post(s, '/v1/adapters', { name: 'empty', dir: work }), 422, /adapter_config.json is missing/],
      ['name taken', () => post(s, '/v1/adapters', { name: 'lora-a', dir: trained[0].dir }), 409, /already loaded/],
      ['no such route', () => fetch(`${s.url}/v1/nothing`), 404, /no such route/],
      ['body not an object', () => post(s, '/v1/predict', '[1, 2]'), 400, /^body: /],
      ['texts not strings', () => post(s, '/v1/predict', { adapter: 'lora-a', texts: [3] }), 400, /^texts\.0: /],
      ['empty text', () => post(s, '/v1/predict', { adapter: 'lora-a', texts: [''] }), 400, /texts\[0\]: has no tokens/],
      ['bad name encoding', () => fetch(`${s.url}/v1/adapters/%E0%A4%A`, { method: 'DELETE' }), 400, /NAME: .* is not a valid URL path segment/],
      ['unknown adapter to delete', () => fetch(`${s.url}/v1/adapters/nope`, { method: 'DELETE' }), 404, /adapter "nope": no such adapter/],
    ];
    for (const [what, call, status, message] of cases) {
      const r = await call();
      expect(r.status, what).toBe(status);
      expect((await r.json()).error.message, what).toMatch(message);
      await good();
    }
    const listed = await (await fetch(`${s.url}/v1/adapters`)).json();
    expect(listed.adapters.map((a: { name: string }) => a.name)).not.toContain('qwen');
    // Labels and pooling given with a directory.
    const spam = trained.find((t) => t.name === 'spam-lora')!;
    const named = await post(s, '/v1/adapters', { name: 'spam-mean', dir: spam.dir, labels: ['no', 'yes'], pooling: 'mean' });
    expect(named.status).toBe(201);
    expect((await named.json()).labels).toEqual(['no', 'yes']);
    const p = (await (await post(s, '/v1/predict', { adapter: 'spam-mean', texts: [TEXTS[0]] })).json()).predictions[0];
    expect(Object.keys(p.probabilities)).toEqual(['no', 'yes']);
    // Mean pooling is another model over the same weights: not what 'last' (the training's) gives.
    expect(Math.abs(p.probabilities.yes - spam.expected[0].probs[1])).toBeGreaterThan(1e-6);
    await fetch(`${s.url}/v1/adapters/spam-mean`, { method: 'DELETE' });
  });
});

describe('peft-lab serve: an encoder base (BERT)', { timeout: 60_000 }, () => {
  it('serves a sequence-classification LoRA on a checkpoint without a causal-LM head; "base" is a 422 there', async () => {
    const BERT = join(FIXTURES, 'bert-tiny-cls');
    const { model, tokenizer } = loadHfModel(BERT);
    const attachment = attachPeft(model, 'lora', { r: 2 }, 'bert-lora');
    const ids = TEXTS.map((t) => tokenizer!.encode(t));
    const r = await trainTrial({ model, attachment, task: 'sequence-classification', metric: 'accuracy', trainData: ids.map((inputIds, i) => ({ inputIds, label: i % 2 })), lr: 5e-2, batchSize: 2, maxSteps: 2, seed: 1, latency: false });
    expect(r.status).toBe('completed');
    const dir = join(work, 'bert-lora');
    await saveAttachment(model, attachment, null, dir);
    const want = reference(model, ids[0], 'sequence-classification').probs;
    attachment.dispose();
    model.dispose();
    const s = await startServe({ modelDir: BERT, modelName: 'bert-tiny-cls', port: 0, logError: () => {}, adapters: [{ name: 'bert-lora', source: { kind: 'dir', ref: dir, dir } }] });
    try {
      const p = (await (await post(s, '/v1/predict', { adapter: 'bert-lora', texts: [TEXTS[0]] })).json()).predictions[0];
      expect(maxDiff(want.map((_, i) => p.probabilities[`LABEL_${i}`]), want)).toBeLessThan(1e-5);
      const base = await post(s, '/v1/predict', { adapter: 'base', texts: ['x y'] });
      expect(base.status).toBe(422);
      expect((await base.json()).error.message).toMatch(/adapter "base" does not fit the served base model: .*family bert supports sequence-classification/);
    } finally {
      await s.close();
    }
  });
});

describe('peft-lab serve: LRU cap and token', { timeout: 60_000 }, () => {
  it('keeps at most --max-adapters loaded, reloads an evicted one on request with the same output', async () => {
    const [a, b, c] = trained.filter((t) => t.head === 'causal-lm');
    const s = await startServe({ modelDir: GPT2, modelName: 'gpt2-tiny', port: 0, maxAdapters: 2, adapters: [a, b, c].map((t) => ({ name: t.name, source: { kind: 'dir' as const, ref: t.dir, dir: t.dir } })) });
    try {
      const listed = (await (await fetch(`${s.url}/v1/adapters`)).json()).adapters;
      expect(listed.map((x: { loaded: boolean }) => x.loaded)).toEqual([false, true, true]);
      const r = await (await post(s, '/v1/predict', { adapter: a.name, texts: [TEXTS[0]], maxNewTokens: 3 })).json();
      expect(r.predictions[0].continuationIds).toEqual(a.expected[0].greedy);
      const after = (await (await fetch(`${s.url}/v1/adapters`)).json()).adapters;
      expect(after.filter((x: { loaded: boolean }) => x.loaded).length).toBe(2);
      expect(after.find((x: { name: string }) => x.name === a.name).loaded).toBe(true);
      expect((await (await fetch(`${s.url}/v1/stats`)).json()).adapters.evictions).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('with a token, every call but /healthz needs Authorization: Bearer <token> (401 otherwise)', async () => {
    const s = await startServe({ modelDir: GPT2, modelName: 'gpt2-tiny', port: 0, token: 's3cret', adapters: [{ name: 'lora-a', source: { kind: 'dir', ref: trained[0].dir, dir: trained[0].dir } }] });
    try {
      const body = { adapter: 'lora-a', texts: ['hi'] };
      expect((await post(s, '/v1/predict', body)).status).toBe(401);
      expect((await post(s, '/v1/predict', body, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await fetch(`${s.url}/v1/stats`)).status).toBe(401);
      const denied = await fetch(`${s.url}/v1/adapters/lora-a`, { method: 'DELETE' });
      expect(denied.status).toBe(401);
      expect((await denied.json()).error.message).toMatch(/Bearer/);
      expect((await post(s, '/v1/predict', body, { authorization: 'Bearer s3cret' })).status).toBe(200);
      expect((await fetch(`${s.url}/v1/adapters`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
