/**
 * `npm run bench:engine -- --config ref-small|ref-large | --model DIR  --method full|lora|adapter|prefix|prompt
 *   [--batch N] [--seq N] [--backend tensorflow|wasm|cpu] [--steps 20] [--warmup 3] [--latency] [--gradient-checkpointing]
 *   [--baseline [--python P]] [--json]`
 * (--gradient-checkpointing: our run recomputes each layer in the backward pass; PyTorch's does not.)
 *
 * Times training steps through the real `trainTrial` loop of either a GPT-2-like pre-LN
 * decoder (--config: the ENVIRONMENT.md reference configs; dropout 0, random init, Adam) or
 * (--model DIR) any local Hugging Face causal-LM checkpoint (config.json + safetensors, read by
 * `loadHfModel(dir, { head: 'causal-lm' })`; its own dropout; AdamW with weight decay 0.01).
 * Batch and sequence length default to the config's, or 8 × 128 with --model; the random
 * token ids lie within the model's vocab. Prints {config | model, method, batch, seq, backend,
 * backendLabel, cpu, msPerStep (median of `steps` after `warmup`), tokensPerSec, peakBytes
 * (peak tfjs tensor bytes), peakAllocatorBytes (TensorFlow's CPU allocator's peak while
 * training, with our kernels; null elsewhere), peakRssBytes (the process's peak resident set,
 * VmHWM, from the start of training: trainTrial resets it there, and loading peaks lower),
 * trainableParams, totalParams}; with --latency also
 * inferenceMs (median of 9 forwards at batch 1 and 8, as trained / merged when the method
 * merges / plain base model).
 *
 * --baseline also times, on the same machine and just before and after our run,
 *   - PyTorch (bench/pytorch_reference.py, the reference of the issue's targets) when a Python
 *     with torch is found (--python PATH, else $PEFT_LAB_PYTHON, else python3), at the same
 *     batch and seq: for --config its copy of the ref decoder (full fine-tuning, Adam); for
 *     --model the same checkpoint through transformers, with peft LoRA (same r, alpha and
 *     targets) for --method lora and full fine-tuning for every other method, AdamW, 2 threads.
 *     Both runs' ms/step and peak RSS are kept, and the ratios vsPyTorch (time) and
 *     rssVsPyTorch (peak RSS) are ours over the smaller PyTorch figure. These VMs drift 2-4x
 *     in speed, so only a same-minute PyTorch figure judges the targets;
 *   - the straightforward tfjs model of ENVIRONMENT.md (bench/straightforward-model.ts, native
 *     backend, --config only), for scale against plain tfjs. It runs in this process, so the
 *     peak-RSS high-water mark is reset (/proc/self/clear_refs) after it, before our run.
 *
 * Method settings: LoRA r 8, alpha 16 on c_attn (GPT-2's fused QKV: the
 * closest to "q and v" that the fused module allows — it also adapts k;
 * a --model of another family gets the engine's default targets, e.g. q_proj, v_proj);
 * adapter Pfeiffer, reductionFactor 16; prefix 10 virtual tokens (no MLP);
 * prompt 10 virtual tokens (the sequence grows by 10).
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend, type BackendInfo, type BackendPreference } from '../src/backend.js';
import { loadHfModel } from '../src/hf/model-io.js';
import { createModel, normalizeHfConfig } from '../src/models/registry.js';
import type { PeftAttachment, PeftMethodName, TransformerModel } from '../src/types.js';
import { trainTrial } from '../src/train/train-trial.js';
import { median } from '../src/measure/latency.js';
import { peakRssBytes, resetPeakRss } from '../src/measure/peak-rss.js';
import { createAdapterAttachment } from '../src/peft/adapter/layer.js';
import { createPrefixAttachment } from '../src/peft/prefix/layer.js';
import { createPromptAttachment } from '../src/peft/prompt/layer.js';
import { attachPeft } from '../src/peft/base.js';
import { DEFAULT_TARGET_MODULES } from '../src/peft/lora/config.js';
import { METHOD_NAMES } from '../src/peft/declarations.js';
import { timeStraightforwardModel, type RefConfig } from './straightforward-model.js';
import '../src/peft/methods.js';

const CONFIGS = {
  'ref-small': { n_embd: 128, n_layer: 2, n_head: 4, n_inner: 512, seq: 64, batch: 16 },
  'ref-large': { n_embd: 256, n_layer: 4, n_head: 4, n_inner: 1024, seq: 128, batch: 16 },
} as const;
type ConfigName = keyof typeof CONFIGS;
// The issue's targets for a native full fine-tuning step, as a multiple of PyTorch's.
const FULL_TARGET_VS_PYTORCH = { 'ref-small': 1.0, 'ref-large': 1.0 } as const;
const METHODS: readonly PeftMethodName[] = METHOD_NAMES;
// --model's batch × seq unless given.
const MODEL_DEFAULTS = { batch: 8, seq: 128 };
// backend.ts's names for the backends, for the label.
const BACKEND_LABEL = { tensorflow: 'native TensorFlow', wasm: 'wasm', cpu: 'cpu' } as const;

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function positiveInt(name: string, fallback: number): number {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} ${raw}: expected a positive integer`);
  return n;
}

function attach(model: TransformerModel, method: PeftMethodName, loraTargets: string[]): PeftAttachment {
  switch (method) {
    case 'adapter': return createAdapterAttachment(model, { placement: 'pfeiffer', reductionFactor: 16 });
    case 'prefix': return createPrefixAttachment(model, { numVirtualTokens: 10 });
    case 'prompt': return createPromptAttachment(model, { numVirtualTokens: 10, init: 'sampled-vocab' });
    case 'lora': return attachPeft(model, 'lora', { r: 8, alpha: 16, targetModules: loraTargets });
    case 'full': return attachPeft(model, 'full', {});
    // Any other registered method: its declared defaults.
    default: return attachPeft(model, method, {});
  }
}

/** e.g. "native TensorFlow 2.9.1 (@tensorflow/tfjs-node 4.22.0, cpu)". */
function backendLabel(b: BackendInfo): string {
  return `${BACKEND_LABEL[b.name]}${b.libVersion ? ` ${b.libVersion}` : ''} (${b.package} ${b.version}, ${b.device}${b.threads ? `, ${b.threads} threads` : ''})`;
}

/** lscpu's "Model name", else os.cpus()[0].model. */
function cpuModel(): string {
  const r = spawnSync('lscpu', [], { encoding: 'utf8' });
  const line = r.status === 0 ? r.stdout.split('\n').find((l) => l.startsWith('Model name:')) : undefined;
  return line ? line.slice('Model name:'.length).trim() : (cpus()[0]?.model.trim() ?? 'unknown');
}

/** What to train: a ref decoder built here, or a checkpoint directory. */
type Subject =
  | { kind: 'config'; name: ConfigName; shape: RefConfig }
  | { kind: 'model'; dir: string };

async function main(): Promise<void> {
  const modelDir = arg('model');
  const configName = (arg('config', 'ref-small') as ConfigName);
  const method = arg('method', 'full') as PeftMethodName;
  if (modelDir === undefined && !(configName in CONFIGS)) throw new Error(`--config ${configName}: expected ref-small or ref-large`);
  if (modelDir !== undefined && arg('config') !== undefined) throw new Error('give --config or --model, not both');
  if (!METHODS.includes(method)) throw new Error(`--method ${method}: expected one of ${METHODS.join(', ')}`);
  const steps = Number(arg('steps', '20'));
  const warmup = Number(arg('warmup', '3'));
  const defaults = modelDir === undefined ? CONFIGS[configName] : MODEL_DEFAULTS;
  const batch = positiveInt('batch', defaults.batch);
  const seq = positiveInt('seq', defaults.seq);
  const subject: Subject = modelDir === undefined
    ? { kind: 'config', name: configName, shape: { ...CONFIGS[configName], batch, seq } }
    : { kind: 'model', dir: resolve(modelDir) };
  const backend = await selectBackend({ prefer: (arg('backend') as BackendPreference | undefined) ?? 'auto' });
  const withBaseline = process.argv.includes('--baseline');
  const python = arg('python') ?? process.env.PEFT_LAB_PYTHON ?? 'python3';

  // Load (or build) first, so a bad checkpoint fails before PyTorch spends minutes on it.
  const model = subject.kind === 'model'
    ? loadHfModel(subject.dir, { head: 'causal-lm' }).model
    : createModel(normalizeHfConfig({
      model_type: 'gpt2', vocab_size: 256, n_positions: seq + 16, n_embd: subject.shape.n_embd, n_layer: subject.shape.n_layer,
      n_head: subject.shape.n_head, n_inner: subject.shape.n_inner, activation_function: 'gelu_new', resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0,
    }), 'causal-lm', 1);
  const { vocabSize, maxPositions, family } = model.config;
  const positions = seq + (method === 'prompt' ? 10 : 0);
  if (positions > maxPositions) throw new Error(`--seq ${seq}${method === 'prompt' ? ' + 10 prompt tokens' : ''} exceeds the model's ${maxPositions} positions`);
  const loraTargets = subject.kind === 'model' ? DEFAULT_TARGET_MODULES[family] : ['c_attn'];
  const pytorchArgs = subject.kind === 'model'
    ? ['--model', subject.dir, '--method', method === 'lora' ? 'lora' : 'full', '--lora-targets', loraTargets.join(',')]
    : ['--config', subject.name, ...(method === 'lora' ? ['--method', 'lora'] : [])];
  const pytorch = (): PyTorchRun => timePyTorch(python, [...pytorchArgs, '--batch', String(batch), '--seq', String(seq)], steps, warmup);

  const pytorchBefore = withBaseline ? pytorch() : null;
  const tfjsShape = withBaseline && subject.kind === 'config' && backend.name === 'tensorflow' ? subject.shape : null;
  const tfjsBefore = tfjsShape ? await timeStraightforwardModel(tfjsShape, steps, warmup) : null;
  // The straightforward model ran in this process: measure our peak RSS from here on.
  const rssReset = tfjsBefore !== null ? resetPeakRss() : undefined;

  const attachment = attach(model, method, loraTargets);
  model.hooks = attachment.hooks;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % vocabSize;
  const data = Array.from({ length: batch * (steps + warmup) }, () => ({ inputIds: Array.from({ length: seq }, rand) }));
  const stepMs: number[] = [];
  const result = await trainTrial({
    model, attachment, task: 'causal-lm', metric: 'perplexity', trainData: data, lr: 1e-4, batchSize: batch,
    // PyTorch's --model baseline uses torch.optim.AdamW's default decay; the ref decoders plain Adam.
    weightDecay: subject.kind === 'model' ? 0.01 : 0,
    maxSteps: steps + warmup, seed: 1, gradientCheckpointing: process.argv.includes('--gradient-checkpointing'),
    latency: process.argv.includes('--latency') ? { seqLen: seq, runs: 9 } : false, callbacks: { onStep: (_s, info) => { stepMs.push(info.stepMs); } },
  });
  const ms = median(stepMs.slice(warmup));
  const rss = peakRssBytes();
  attachment.dispose();
  model.dispose();

  const tfjsAfter = tfjsShape ? await timeStraightforwardModel(tfjsShape, steps, warmup) : null;
  const pytorchAfter = withBaseline ? pytorch() : null;
  const atDefaultShape = subject.kind === 'config' && batch === CONFIGS[subject.name].batch && seq === CONFIGS[subject.name].seq;
  const target = method === 'full' && subject.kind === 'config' && atDefaultShape ? FULL_TARGET_VS_PYTORCH[subject.name] : undefined;
  const sameMachine = withBaseline ? sameMachineComparison(ms, rss, pytorchBefore!, pytorchAfter!, tfjsBefore, tfjsAfter, target) : undefined;
  const out = {
    ...(subject.kind === 'model' ? { model: subject.dir, modelType: family } : { config: subject.name }),
    method, batch, seq, gradientCheckpointing: process.argv.includes('--gradient-checkpointing'), backend: result.measurements.backend, backendLabel: backendLabel(backend), cpu: cpuModel(),
    msPerStep: Number(ms.toFixed(2)), tokensPerSec: Math.round((batch * seq * 1000) / ms),
    peakBytes: result.measurements.peakBytes, peakAllocatorBytes: result.measurements.peakAllocatorBytes ?? null, peakRssBytes: rss, ...(rssReset === false ? { peakRssIncludesStraightforwardTfjs: true } : {}),
    trainableParams: result.measurements.trainableParams, totalParams: result.measurements.totalParams,
    ...(result.measurements.latency ? { inferenceMs: Object.fromEntries(Object.entries(result.measurements.latency).map(([k, v]) => [k, Number(v.toFixed(2))])) } : {}),
    ...(result.status !== 'completed' ? { status: result.status, reason: result.reason } : {}),
    ...(sameMachine ? { sameMachine } : {}),
  };
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  if (process.argv.includes('--json')) console.log(JSON.stringify(out));
  else {
    console.log(`${subject.kind === 'model' ? `${subject.dir} (${family})` : subject.name} ${method} ${batch}×${seq} on ${out.backendLabel}, ${out.cpu}: `
      + `${out.msPerStep} ms/step, ${out.tokensPerSec} tokens/s, peak tensors ${mib(out.peakBytes)}, peak RSS ${mib(out.peakRssBytes)}, `
      + `${out.trainableParams}/${out.totalParams} trainable`);
    if (sameMachine) console.log(`  same machine: ${JSON.stringify(sameMachine)}`);
  }
}

type PyTorchRun = { msPerStep: number; peakRssBytes: number; framework: string; method: string } | { error: string };

/** bench/pytorch_reference.py's median ms/step and peak RSS, or why it could not run (no Python, no torch). */
function timePyTorch(python: string, args: string[], steps: number, warmup: number): PyTorchRun {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'pytorch_reference.py');
  const r = spawnSync(python, [script, ...args, '--steps', String(steps), '--warmup', String(warmup)], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) return { error: `${python} ${script}: ${(r.stderr || String(r.error ?? 'failed')).trim().split('\n').pop()}` };
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { msPerStep: out.msPerStep, peakRssBytes: out.peakRssBytes, framework: out.framework, method: out.method };
}

function sameMachineComparison(ms: number, rss: number, before: PyTorchRun, after: PyTorchRun, tfjsBefore: number | null, tfjsAfter: number | null, target?: number) {
  const round = (x: number, d = 3) => Number(x.toFixed(d));
  let pytorch;
  if ('msPerStep' in before && 'msPerStep' in after) {
    const minMs = Math.min(before.msPerStep, after.msPerStep);
    const minRss = Math.min(before.peakRssBytes, after.peakRssBytes);
    const vsPyTorch = ms / minMs;
    pytorch = {
      framework: before.framework, method: before.method,
      msPerStep: [before.msPerStep, after.msPerStep], minMsPerStep: minMs, vsPyTorch: round(vsPyTorch),
      peakRssBytes: [before.peakRssBytes, after.peakRssBytes], minPeakRssBytes: minRss, rssVsPyTorch: round(rss / minRss),
      ...(target !== undefined ? { target, meetsTarget: vsPyTorch <= target } : {}),
    };
  } else {
    pytorch = { error: 'error' in before ? before.error : (after as { error: string }).error };
  }
  const tfjs = tfjsBefore !== null && tfjsAfter !== null
    ? { straightforwardTfjsMsPerStep: [round(tfjsBefore, 2), round(tfjsAfter, 2)], vsStraightforwardTfjs: round(ms / ((tfjsBefore + tfjsAfter) / 2)) }
    : {};
  return { pytorch, ...tfjs };
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
