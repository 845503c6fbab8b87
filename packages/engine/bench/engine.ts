/**
 * `npm run bench:engine -- --config ref-small|ref-large --method full|lora|adapter|prefix|prompt
 *   [--backend tensorflow|wasm|cpu] [--steps 20] [--warmup 3] [--latency] [--baseline] [--json]`
 *
 * Times training steps of a GPT-2-like pre-LN decoder (the ENVIRONMENT.md
 * reference configs; dropout 0, random init) through the real `trainTrial`
 * loop, and prints {config, method, backend, msPerStep (median of `steps`
 * after `warmup`), tokensPerSec, peakBytes, trainableParams, totalParams};
 * with --latency also inferenceMs (median of 9 forwards at batch 1 and 8, as
 * trained / merged when the method merges / plain base model).
 *
 * --baseline also times, on the same machine and just before and after our run,
 *   - PyTorch (bench/pytorch_reference.py, the reference of the issue's targets) when a Python
 *     with torch is found (--python PATH, else $PEFT_LAB_PYTHON, else python3); these VMs
 *     drift 2-4x in speed, so only a same-minute PyTorch figure judges the targets;
 *   - the straightforward tfjs model of ENVIRONMENT.md (bench/straightforward-model.ts, native
 *     backend only), for scale against plain tfjs.
 *
 * Method settings: LoRA r 8, alpha 16 on c_attn (GPT-2's fused QKV: the
 * closest to "q and v" that the fused module allows — it also adapts k);
 * adapter Pfeiffer, reductionFactor 16; prefix 10 virtual tokens (no MLP);
 * prompt 10 virtual tokens (the sequence grows by 10).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendPreference } from '../src/backend.js';
import { createModel, normalizeHfConfig } from '../src/models/registry.js';
import type { PeftAttachment, PeftMethodName, TransformerModel } from '../src/types.js';
import { trainTrial } from '../src/train/train-trial.js';
import { median } from '../src/measure/latency.js';
import { createAdapterAttachment } from '../src/peft/adapter/layer.js';
import { createPrefixAttachment } from '../src/peft/prefix/layer.js';
import { createPromptAttachment } from '../src/peft/prompt/layer.js';
import { attachPeft } from '../src/peft/base.js';
import { timeStraightforwardModel } from './straightforward-model.js';
import '../src/peft/full/index.js';
import '../src/peft/lora/index.js';

const CONFIGS = {
  'ref-small': { n_embd: 128, n_layer: 2, n_head: 4, n_inner: 512, seq: 64, batch: 16 },
  'ref-large': { n_embd: 256, n_layer: 4, n_head: 4, n_inner: 1024, seq: 128, batch: 16 },
} as const;
type ConfigName = keyof typeof CONFIGS;
// The targets for a native full fine-tuning step, as a multiple of PyTorch's.
const FULL_TARGET_VS_PYTORCH = { 'ref-small': 1.5, 'ref-large': 1.0 } as const;
const METHODS: PeftMethodName[] = ['full', 'lora', 'adapter', 'prefix', 'prompt'];

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function attach(model: TransformerModel, method: PeftMethodName): PeftAttachment {
  switch (method) {
    case 'adapter': return createAdapterAttachment(model, { placement: 'pfeiffer', reductionFactor: 16 });
    case 'prefix': return createPrefixAttachment(model, { numVirtualTokens: 10 });
    case 'prompt': return createPromptAttachment(model, { numVirtualTokens: 10, init: 'sampled-vocab' });
    case 'lora': return attachPeft(model, 'lora', { r: 8, alpha: 16, targetModules: ['c_attn'] });
    case 'full': return attachPeft(model, 'full', {});
  }
}

async function main(): Promise<void> {
  const configName = (arg('config', 'ref-small') as ConfigName);
  const method = arg('method', 'full') as PeftMethodName;
  if (!(configName in CONFIGS)) throw new Error(`--config ${configName}: expected ref-small or ref-large`);
  if (!METHODS.includes(method)) throw new Error(`--method ${method}: expected one of ${METHODS.join(', ')}`);
  const steps = Number(arg('steps', '20'));
  const warmup = Number(arg('warmup', '3'));
  const backend = await selectBackend({ prefer: (arg('backend') as BackendPreference | undefined) ?? 'auto' });
  const c = CONFIGS[configName];
  const config = normalizeHfConfig({
    model_type: 'gpt2', vocab_size: 256, n_positions: c.seq + 16, n_embd: c.n_embd, n_layer: c.n_layer, n_head: c.n_head,
    n_inner: c.n_inner, activation_function: 'gelu_new', resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0,
  });
  const withBaseline = process.argv.includes('--baseline');
  const python = arg('python') ?? process.env.PEFT_LAB_PYTHON ?? 'python3';
  const pytorchBefore = withBaseline ? timePyTorch(python, configName, steps, warmup) : null;
  const tfjsBefore = withBaseline && backend.name === 'tensorflow' ? await timeStraightforwardModel(c, steps, warmup) : null;
  const model = createModel(config, 'causal-lm', 1);
  const attachment = attach(model, method);
  model.hooks = attachment.hooks;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % 256;
  const data = Array.from({ length: c.batch * (steps + warmup) }, () => ({ inputIds: Array.from({ length: c.seq }, rand) }));
  const stepMs: number[] = [];
  const result = await trainTrial({
    model, attachment, task: 'causal-lm', metric: 'perplexity', trainData: data, lr: 1e-4, batchSize: c.batch,
    maxSteps: steps + warmup, seed: 1,
    latency: process.argv.includes('--latency') ? { seqLen: c.seq, runs: 9 } : false, callbacks: { onStep: (_s, info) => { stepMs.push(info.stepMs); } },
  });
  const ms = median(stepMs.slice(warmup));
  const tfjsAfter = tfjsBefore !== null ? await timeStraightforwardModel(c, steps, warmup) : null;
  const pytorchAfter = withBaseline ? timePyTorch(python, configName, steps, warmup) : null;
  const sameMachine = withBaseline ? sameMachineComparison(ms, pytorchBefore!, pytorchAfter!, tfjsBefore, tfjsAfter, method === 'full' ? FULL_TARGET_VS_PYTORCH[configName] : undefined) : undefined;
  const out = {
    config: configName, method, backend: backend.name, msPerStep: Number(ms.toFixed(2)),
    tokensPerSec: Math.round((c.batch * c.seq * 1000) / ms), peakBytes: result.measurements.peakBytes,
    trainableParams: result.measurements.trainableParams, totalParams: result.measurements.totalParams,
    ...(result.measurements.latency ? { inferenceMs: Object.fromEntries(Object.entries(result.measurements.latency).map(([k, v]) => [k, Number(v.toFixed(2))])) } : {}),
    ...(result.status !== 'completed' ? { status: result.status, reason: result.reason } : {}),
    ...(sameMachine ? { sameMachine } : {}),
  };
  if (process.argv.includes('--json')) console.log(JSON.stringify(out));
  else console.log(`${configName} ${method} on ${backend.name}: ${out.msPerStep} ms/step, ${out.tokensPerSec} tokens/s, peak ${(out.peakBytes / 2 ** 20).toFixed(1)} MiB, ${out.trainableParams}/${out.totalParams} trainable`);
  if (!process.argv.includes('--json') && sameMachine) console.log(`  same machine: ${JSON.stringify(sameMachine)}`);
  attachment.dispose();
  model.dispose();
  void tf;
}

type PyTorchTiming = { msPerStep: number; framework: string } | { error: string };

/** bench/pytorch_reference.py's median ms/step, or why it could not run (no Python, no torch). */
function timePyTorch(python: string, config: ConfigName, steps: number, warmup: number): PyTorchTiming {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'pytorch_reference.py');
  const r = spawnSync(python, [script, '--config', config, '--steps', String(steps), '--warmup', String(warmup)], { encoding: 'utf8' });
  if (r.status !== 0) return { error: `${python} ${script}: ${(r.stderr || String(r.error ?? 'failed')).trim().split('\n').pop()}` };
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { msPerStep: out.msPerStep, framework: out.framework };
}

function sameMachineComparison(ms: number, before: PyTorchTiming, after: PyTorchTiming, tfjsBefore: number | null, tfjsAfter: number | null, target?: number) {
  const round = (x: number, d = 3) => Number(x.toFixed(d));
  let pytorch;
  if ('msPerStep' in before && 'msPerStep' in after) {
    const vsPyTorch = ms / ((before.msPerStep + after.msPerStep) / 2);
    pytorch = { framework: before.framework, msPerStep: [before.msPerStep, after.msPerStep], vsPyTorch: round(vsPyTorch),
      ...(target !== undefined ? { target, meetsTarget: vsPyTorch <= target } : {}) };
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
