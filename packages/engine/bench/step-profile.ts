/**
 * `tsx packages/engine/bench/step-profile.ts --config ref-small --method full|lora [--backend …] [--steps 10] [--kernels] [--gemm [--python PATH]]`
 *
 * Counts what one training step (forward, loss, backward, AdamW update — the
 * same calls `trainTrial` makes) asks of the backend: kernels invoked, new
 * tensors, and per-kernel-name counts and summed kernel time from `tf.profile`.
 * Op counts do not depend on machine load, so they judge a change even when
 * other work shares the cores; `--steps` also prints the median step time.
 *
 * --gemm: the floor that matrix products alone put under a step. It sums the kernel time of
 * the step's BatchMatMul/_FusedMatMul kernels (median of 3 profiled steps) and has PyTorch
 * (bench/gemm_times.py; --python PATH, else $PEFT_LAB_PYTHON, else python3) time the same
 * products. If TensorFlow's products alone take longer than PyTorch's whole step, no change
 * to our model code can reach PyTorch's step time on that machine.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendPreference } from '../src/backend.js';
import { createModel, normalizeHfConfig } from '../src/models/registry.js';
import { attachPeft } from '../src/peft/base.js';
import '../src/peft/full/index.js';
import '../src/peft/lora/index.js';
import { AdamW } from '../src/train/adamw.js';
import { collate } from '../src/train/collate.js';
import { taskLoss } from '../src/train/losses.js';
import { median } from '../src/measure/latency.js';

const CONFIGS = {
  'ref-small': { n_embd: 128, n_layer: 2, n_head: 4, n_inner: 512, seq: 64, batch: 16 },
  'ref-large': { n_embd: 256, n_layer: 4, n_head: 4, n_inner: 1024, seq: 128, batch: 16 },
} as const;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const backend = await selectBackend({ prefer: arg('backend', 'auto') as BackendPreference });
  const c = CONFIGS[arg('config', 'ref-small') as keyof typeof CONFIGS];
  const method = arg('method', 'full');
  const model = createModel(normalizeHfConfig({
    model_type: 'gpt2', vocab_size: 256, n_positions: c.seq + 16, n_embd: c.n_embd, n_layer: c.n_layer, n_head: c.n_head,
    n_inner: c.n_inner, activation_function: 'gelu_new', resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0,
  }), 'causal-lm', 1);
  const attachment = method === 'lora' ? attachPeft(model, 'lora', { r: 8, alpha: 16, targetModules: ['c_attn'] }) : attachPeft(model, 'full', {});
  const params = attachment.trainable;
  const varList = [...params.values()];
  for (const v of varList) v.trainable = true;
  const keyOfVar = new Map([...params].map(([k, v]) => [v.name, k]));
  const optimizer = new AdamW(params, {});
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % 256;
  const batch = collate(Array.from({ length: c.batch }, () => ({ inputIds: Array.from({ length: c.seq }, rand) })), { task: 'causal-lm' });

  const step = async (): Promise<number> => {
    const { value, grads } = tf.variableGrads(() => taskLoss('causal-lm', model.forward(batch, { training: true }), batch.labels), varList);
    const named = new Map<string, tf.Tensor>();
    for (const [vn, g] of Object.entries(grads)) named.set(keyOfVar.get(vn)!, g);
    const flat = optimizer.flattenGradients(named);
    tf.dispose([...named.values()]);
    const stats = tf.tidy(() => tf.stack([value, flat.norm, batch.attentionMask.toFloat().sum()]));
    value.dispose();
    const [loss] = await stats.data();
    optimizer.applyFlat(flat, 1e-4, 1);
    flat.dispose();
    stats.dispose();
    return loss;
  };

  for (let i = 0; i < 2; i++) await step();
  const before = tf.memory().numTensors;
  const info = await tf.profile(async () => { await step(); });
  const byName = new Map<string, { n: number; ms: number }>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? { n: 0, ms: 0 };
    e.n += 1;
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byName.set(k.name, e);
  }
  if (process.argv.includes('--trace')) for (const k of info.kernels) console.log(k.name, JSON.stringify(k.inputShapes), '->', JSON.stringify(k.outputShapes), typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs.toFixed(2) : '', JSON.stringify(k.extraInfo ?? ''));
  const gemm = process.argv.includes('--gemm') ? await gemmFloor(step) : undefined;
  const steps = Number(arg('steps', '10'));
  const times: number[] = [];
  let loss = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    loss = await step();
    times.push(performance.now() - t0);
  }
  // CPU time (all threads) is far less sensitive than wall time to other work sharing the cores.
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerStep = Number(((cpu.user + cpu.system) / 1000 / steps).toFixed(1));
  const out = {
    backend: backend.name, method, kernels: info.kernels.length, newTensors: info.newTensors,
    leakedTensors: tf.memory().numTensors - before, ...(gemm ? { gemm } : {}), msPerStep: Number(median(times).toFixed(1)), cpuMsPerStep, loss,
    ...(process.argv.includes('--kernels')
      ? { byKernel: Object.fromEntries([...byName].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, `${v.n} × ${v.ms.toFixed(1)}ms`])) }
      : {}),
  };
  console.log(JSON.stringify(out, null, process.argv.includes('--kernels') ? 1 : 0));
}

const GEMM_KERNELS = new Set(['BatchMatMul', '_FusedMatMul']);

async function gemmFloor(step: () => Promise<number>) {
  const sums: number[] = [];
  let products: Array<{ a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }> = [];
  for (let i = 0; i < 3; i++) {
    const info = await tf.profile(async () => { await step(); });
    const kernels = info.kernels.filter((k) => GEMM_KERNELS.has(k.name));
    sums.push(kernels.reduce((s, k) => s + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0), 0));
    // The profile keeps operand shapes but not the transpose flags: read them back from the
    // shapes (a's rows must be the output's rows; b's rows must be the inner dimension).
    products = kernels.map((k) => {
      const [a, b] = k.inputShapes as number[][];
      const out = k.outputShapes[0] as number[];
      const transposeA = a.at(-2) !== out.at(-2);
      const inner = transposeA ? a.at(-2) : a.at(-1);
      return { a, b, transposeA, transposeB: b.at(-2) !== inner };
    });
  }
  const python = arg('python', process.env.PEFT_LAB_PYTHON ?? 'python3');
  const script = fileURLToPath(new URL('./gemm_times.py', import.meta.url));
  const r = spawnSync(python, [script], { input: JSON.stringify(products), encoding: 'utf8' });
  const pytorch = r.status === 0 ? JSON.parse(r.stdout) : { error: (r.stderr || String(r.error)).trim().split('\n').pop() };
  return { products: products.length, tensorflowMs: Number(median(sums).toFixed(1)), pytorch };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
