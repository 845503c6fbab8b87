/**
 * `tsx packages/engine/bench/step-profile.ts --config ref-small --method full|lora [--backend …] [--steps 10] [--kernels] [--trace] [--gemm [--python PATH]] [--json]`
 *
 * Counts what one training step (forward, loss, backward, AdamW update — the
 * same calls `trainTrial` makes) asks of the backend: kernels invoked, new
 * tensors, and per-kernel-name counts and summed kernel time from `tf.profile`.
 * Op counts do not depend on machine load, so they judge a change even when
 * other work shares the cores; `--steps` also prints the median step time.
 *
 * Where the time goes (`timeBreakdown`, printed as a table and in the JSON; --json prints the
 * JSON alone): of 3 profiled steps, the one with the median wall time (`stepMs`), its kernel
 * time split into (a) our own kernels (names starting with `PeftLab`, from the native library),
 * (b) TensorFlow's matrix products (BatchMatMul*, MatMul, _FusedMatMul), (c) every other
 * TensorFlow kernel, and (d) the dispatch gap: that step's wall time minus the sum of (a)–(c) —
 * time spent outside kernels (tfjs op wrappers, the tape, gradient functions, tidy/dispose, the
 * JS side of custom-gradient ops, and tf.profile's own per-kernel bookkeeping, so the gap is an
 * upper bound: compare `stepMs` with the unprofiled `msPerStep`). Each as ms and share of `stepMs`.
 * A kernel's time is `tf.profile`'s kernelTimeMs (the backend kernel function's wall time, the
 * N-API call into TensorFlow included). Kernels that run inside another kernel (tfjs-node's
 * _FusedMatMul runs BatchMatMul + Add) and the entries tf.profile makes for custom-gradient
 * ops (named after their scope, e.g. `forward`, timing the kernels inside them) are counted
 * once: each kernel at the outermost level, inside custom-gradient ops.
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
import { getKernel } from '@tensorflow/tfjs';
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
  const groupTimes = await kernelGroupTimes(step);
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
  const msPerStep = median(times);
  const timeBreakdown = breakdown(groupTimes);
  const out = {
    backend: backend.name, method, kernels: info.kernels.length, newTensors: info.newTensors,
    leakedTensors: tf.memory().numTensors - before, ...(gemm ? { gemm } : {}), msPerStep: Number(msPerStep.toFixed(1)), cpuMsPerStep, loss,
    timeBreakdown,
    ...(process.argv.includes('--kernels')
      ? { byKernel: Object.fromEntries([...byName].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, `${v.n} × ${v.ms.toFixed(1)}ms`])) }
      : {}),
  };
  if (!process.argv.includes('--json')) {
    console.log(`${backend.name}, ${method}: profiled step ${timeBreakdown.stepMs} ms (unprofiled median of ${steps}: ${out.msPerStep} ms)`);
    for (const [key, label] of GROUP_LABELS) {
      const g = timeBreakdown[key];
      console.log(`  ${label.padEnd(32)} ${g.ms.toFixed(1).padStart(8)} ms  ${(g.share * 100).toFixed(1).padStart(5)}%${'kernels' in g ? `  (${g.kernels} kernels)` : ''}`);
    }
  }
  console.log(JSON.stringify(out, null, process.argv.includes('--kernels') ? 1 : 0));
}

const MATMUL_KERNEL = /^(BatchMatMul.*|MatMul|_FusedMatMul)$/;
type Group = 'ours' | 'matmul' | 'otherTf';
const GROUP_LABELS: Array<[Group | 'dispatchGap', string]> = [
  ['ours', 'our kernels (PeftLab*)'], ['matmul', 'TF matrix products'], ['otherTf', 'other TF kernels'], ['dispatchGap', 'dispatch gap (wall - kernels)'],
];

function groupOf(kernelName: string): Group {
  return kernelName.startsWith('PeftLab') ? 'ours' : MATMUL_KERNEL.test(kernelName) ? 'matmul' : 'otherTf';
}

type ProfiledKernel = Awaited<ReturnType<typeof tf.profile>>['kernels'][number] & { depth?: number };

/**
 * tf.profile around `step`, each kernel entry tagged with its nesting depth (the engine's
 * kernelDepth when the entry is recorded: 0 at top level, 1 inside a custom-gradient op's
 * forward or a kernel that calls other kernels, …). Entries are recorded when they finish,
 * so an entry's children are the deeper entries just before it.
 */
async function profileWithDepth(step: () => Promise<unknown>): Promise<{ kernels: ProfiledKernel[]; wallMs: number }> {
  const engine = tf.engine() as unknown as { state: { kernelDepth: number; activeProfile: { kernels: ProfiledKernel[] } } };
  let wallMs = 0;
  const info = await tf.profile(async () => {
    const kernels = engine.state.activeProfile.kernels;
    kernels.push = (...items: ProfiledKernel[]) => {
      for (const k of items) k.depth = engine.state.kernelDepth;
      return Array.prototype.push.apply(kernels, items);
    };
    const t0 = performance.now();
    await step();
    wallMs = performance.now() - t0;
  });
  return { kernels: info.kernels as ProfiledKernel[], wallMs };
}

/**
 * The kernels that count once: rebuilds the nesting from the depths, then keeps each entry
 * that is a registered kernel (or one of ours) or has nothing inside it, without looking
 * inside it; other entries (custom-gradient ops) are replaced by what they ran.
 */
function outermostKernels(kernels: ProfiledKernel[]): ProfiledKernel[] {
  type Node = { k: ProfiledKernel; children: Node[] };
  let pending: Node[] = [];
  for (const k of kernels) {
    const depth = k.depth ?? 0;
    const node: Node = { k, children: pending.filter((n) => (n.k.depth ?? 0) > depth) };
    pending = pending.filter((n) => (n.k.depth ?? 0) <= depth);
    pending.push(node);
  }
  const backendName = tf.getBackend();
  const isKernel = (name: string) => name.startsWith('PeftLab') || getKernel(name, backendName) !== undefined;
  const out: ProfiledKernel[] = [];
  const walk = (n: Node) => {
    if (n.children.length === 0 || isKernel(n.k.name)) out.push(n.k);
    else n.children.forEach(walk);
  };
  pending.forEach(walk);
  return out;
}

const kernelMs = (k: ProfiledKernel) => (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0);

/** Wall time and per-group kernel time and count of the profiled step (of 3) with the median wall time. */
async function kernelGroupTimes(step: () => Promise<unknown>) {
  const runs: Array<Record<Group, { ms: number; kernels: number }> & { wallMs: number }> = [];
  for (let i = 0; i < 3; i++) {
    const { kernels, wallMs } = await profileWithDepth(step);
    const groups = { ours: { ms: 0, kernels: 0 }, matmul: { ms: 0, kernels: 0 }, otherTf: { ms: 0, kernels: 0 }, wallMs };
    for (const k of outermostKernels(kernels)) {
      const g = groups[groupOf(k.name)];
      g.ms += kernelMs(k);
      g.kernels += 1;
    }
    runs.push(groups);
  }
  return runs.sort((a, b) => a.wallMs - b.wallMs)[1];
}

function breakdown(groups: Record<Group, { ms: number; kernels: number }> & { wallMs: number }) {
  const stepMs = groups.wallMs;
  const round = (x: number, d: number) => Number(x.toFixed(d));
  const part = (ms: number) => ({ ms: round(ms, 1), share: round(ms / stepMs, 3) });
  const kernelTotal = groups.ours.ms + groups.matmul.ms + groups.otherTf.ms;
  return {
    stepMs: round(stepMs, 1),
    ours: { ...part(groups.ours.ms), kernels: groups.ours.kernels },
    matmul: { ...part(groups.matmul.ms), kernels: groups.matmul.kernels },
    otherTf: { ...part(groups.otherTf.ms), kernels: groups.otherTf.kernels },
    dispatchGap: part(stepMs - kernelTotal),
  };
}

async function gemmFloor(step: () => Promise<number>) {
  const sums: number[] = [];
  let products: Array<{ a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }> = [];
  for (let i = 0; i < 3; i++) {
    // Outermost kernels only: tfjs-node's _FusedMatMul runs a BatchMatMul inside itself.
    const kernels = outermostKernels((await profileWithDepth(step)).kernels).filter((k) => groupOf(k.name) === 'matmul');
    sums.push(kernels.reduce((s, k) => s + kernelMs(k), 0));
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
