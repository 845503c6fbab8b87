/**
 * `npm run bench:serve -- [--model builtin|DIR] [--backend tensorflow|wasm|cpu] [--requests 200] [--json]`
 *
 * Starts the real server (`startServe`, port 0) on the base model (default: the built-in model when
 * its weights exist, else the gpt2-tiny fixture) with two LoRA adapters (r 8 on the default targets,
 * B drawn non-zero so they differ), one (IA)³, one bottleneck adapter and one prefix, saved in PEFT
 * format and loaded from their directories, then measures:
 * - switchMs: making the other LoRA adapter active (`AdapterPool.activate`, what a batch of another
 *   adapter pays; unmerged, a hooks swap), 2000 alternations; target p99 < 1 ms;
 * - mergedSwitchMs: the same switch with LoRA merged into the base weights (unmerge A, merge B), 40 alternations;
 * - loadMs: `POST /v1/adapters` of a LoRA directory (read + attach), then DELETE, 20 times;
 * - latencyMs batch1 / batch8: `POST /v1/predict` over HTTP, one request at a time, adapters alternating,
 *   sequence classification off (causal LM, topK 5, maxNewTokens 0: one forward);
 * - interleaved: 16 concurrent requests naming 2 adapters, sent from a child process → forwards run (batched per adapter);
 * - bytesPerAdapter: tensor bytes each loaded adapter added, per method.
 * Prints one JSON object with --json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { attachedAdapters, attachPeft, computeBackendLabel, loadHfModel, saveAttachment, selectBackend, type LoraAttachment } from '@peft-lab/engine';
import { BUILTIN_MODEL_DIR, builtinModelAvailable } from '@peft-lab/data';
import { startServe, SampleRing } from '../src/index.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const json = process.argv.includes('--json');
const requests = Number(arg('requests') ?? 200);
const modelArg = arg('model') ?? (builtinModelAvailable() ? 'builtin' : resolve(import.meta.dirname, '../../engine/test-fixtures/gpt2-tiny'));
const modelDir = modelArg === 'builtin' ? BUILTIN_MODEL_DIR : modelArg;

async function main() {
  const backend = await selectBackend({ prefer: arg('backend') as never });
  const work = mkdtempSync(join(tmpdir(), 'peft-lab-bench-serve-'));
  try {
    // Adapters in PEFT format, as a sweep stores them.
    const specs: [string, Parameters<typeof attachPeft>[1], Record<string, unknown>][] = [
      ['lora-a', 'lora', { r: 8, seed: 1 }], ['lora-b', 'lora', { r: 8, seed: 2 }], ['ia3', 'ia3', {}],
      ['bottleneck', 'adapter', { reductionFactor: 16 }], ['prefix', 'prefix', { numVirtualTokens: 10 }],
    ];
    for (const [name, method, config] of specs) {
      const { model } = loadHfModel(modelDir, { head: 'causal-lm' });
      const a = attachPeft(model, method, config, name);
      if (method === 'lora') {
        for (const [k, v] of a.trainable) if (k.endsWith('lora_B.weight')) v.assign(tf.randomNormal(v.shape, 0, 0.02, 'float32', name.length));
      }
      await saveAttachment(model, a, null, join(work, name));
      a.dispose();
      model.dispose();
    }
    const s = await startServe({
      modelDir, modelName: modelArg, port: 0, maxAdapters: 16,
      adapters: specs.map(([name]) => ({ name, source: { kind: 'dir', ref: join(work, name), dir: join(work, name) } })),
    });
    try {
      const post = async (path: string, body: unknown) => {
        const r = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
        return r.json();
      };
      const text = 'the quick brown fox jumps over the lazy dog and keeps running through the field';

      // Warm both adapters' forward paths.
      for (const adapter of ['lora-a', 'lora-b']) await post('/v1/predict', { adapter, texts: [text], maxNewTokens: 0 });

      const switchMs = new SampleRing(4000);
      for (let i = 0; i < 2000; i++) {
        const t0 = performance.now();
        s.pool.activate(i % 2 ? 'lora-a' : 'lora-b');
        switchMs.add(performance.now() - t0);
      }

      // Merged: one adapter folded into the weights at a time.
      const attached = attachedAdapters(s.served.base);
      const [la, lb] = [attached.get('lora-a') as LoraAttachment, attached.get('lora-b') as LoraAttachment];
      const mergedSwitchMs = new SampleRing();
      la.merge();
      for (let i = 0; i < 40; i++) {
        const [from, to] = i % 2 ? [lb, la] : [la, lb];
        const t0 = performance.now();
        from.unmerge();
        to.merge();
        s.served.base.hooks = to.hooks;
        mergedSwitchMs.add(performance.now() - t0);
      }
      (la.merged ? la : lb).unmerge();
      s.pool.activate('lora-a');
      s.pool.activate('lora-b');

      const loadMs = new SampleRing();
      for (let i = 0; i < 20; i++) {
        const r = await post('/v1/adapters', { name: 'reload', dir: join(work, 'lora-a') });
        loadMs.add(r.loadMs);
        await fetch(`${s.url}/v1/adapters/reload`, { method: 'DELETE' });
      }

      const latency = { batch1: new SampleRing(), batch8: new SampleRing() };
      for (const [key, n, count] of [['batch1', 1, requests], ['batch8', 8, Math.ceil(requests / 4)]] as const) {
        for (let i = 0; i < count; i++) {
          const t0 = performance.now();
          await post('/v1/predict', { adapter: i % 2 ? 'lora-a' : 'lora-b', texts: Array(n).fill(text), maxNewTokens: 0 });
          latency[key].add(performance.now() - t0);
        }
      }

      // From another process: a client in this one needs the event loop the forwards block, so its
      // requests reach the server one loop turn apart and never wait together (both runs of
      // 2026-12-01 14:50 measured it that way: 16 forwards).
      const before = s.stats.forwardBatch.count;
      const script = `const u=${JSON.stringify(s.url)};Promise.all(Array.from({length:16},(_,i)=>fetch(u+'/v1/predict',{method:'POST',body:JSON.stringify({adapter:i%2?'lora-a':'lora-b',texts:[${JSON.stringify(text)}],maxNewTokens:0})}).then(r=>r.status)))`;
      await new Promise<void>((done, fail) => spawn(process.execPath, ['-e', script], { stdio: 'inherit' }).on('close', (code) => (code === 0 ? done() : fail(new Error(`interleaved client exited ${code}`)))));
      const forwards = s.stats.forwardBatch.count - before;

      const bytesPerAdapter = Object.fromEntries(s.pool.list().map((a) => [a.name, a.bytes]));
      const server = await (await fetch(`${s.url}/v1/stats`)).json();
      const out = {
        model: modelArg, backend: backend.name, backendLabel: computeBackendLabel(),
        modelLoadMs: s.served.loadMs,
        switchMs: switchMs.summary(), mergedSwitchMs: mergedSwitchMs.summary(), loadMs: loadMs.summary(),
        latencyMs: { batch1: latency.batch1.summary(), batch8: latency.batch8.summary() },
        interleaved: { requests: 16, adapters: 2, forwards },
        bytesPerAdapter,
        serverStats: { switchMs: server.switchMs, latencyMs: server.latencyMs },
        switchTargetMet: (switchMs.summary().p99 ?? Infinity) < 1,
      };
      if (json) console.log(JSON.stringify(out));
      else {
        const f = (x: { p50: number | null; p99: number | null }) => `p50 ${x.p50?.toFixed(4)} ms, p99 ${x.p99?.toFixed(4)} ms`;
        console.log(`model ${modelArg} (${out.backendLabel}), loaded in ${out.modelLoadMs.toFixed(0)} ms`);
        console.log(`switch (unmerged LoRA): ${f(out.switchMs)}; merged (unmerge + merge): ${f(out.mergedSwitchMs)}`);
        console.log(`adapter load: ${f(out.loadMs)}`);
        console.log(`latency batch 1: ${f(out.latencyMs.batch1)}; batch 8: ${f(out.latencyMs.batch8)}`);
        console.log(`16 interleaved requests, 2 adapters: ${forwards} forwards`);
        console.log(`bytes per adapter: ${JSON.stringify(bytesPerAdapter)}`);
      }
    } finally {
      await s.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
