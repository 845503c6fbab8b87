/**
 * The check before loading a checkpoint for training: if the estimate (memory-estimate.ts)
 * exceeds the memory this process can still use, fail with a message that names the model,
 * its parameter count, the method and both numbers, instead of being OOM-killed mid-load or
 * mid-step.
 *
 * Available memory: `PEFT_LAB_MEMORY_LIMIT_BYTES` when set (taken as is: the bytes training
 * may use); otherwise the cgroup limit (`/sys/fs/cgroup/memory.max` when it holds a number,
 * cgroup v1's `memory.limit_in_bytes` below physical memory) or else physical memory, minus
 * this process's RSS, and never more than what the system reports available (os.freemem()).
 */
import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { PeftLabError } from '../errors.js';
import type { TrainingMemoryEstimate } from './memory-estimate.js';
import { isMethodName, methodDeclaration } from '../peft/declarations.js';
import { engineEnv } from '../env.js';

export const MEMORY_LIMIT_ENV = 'PEFT_LAB_MEMORY_LIMIT_BYTES';

export interface AvailableMemory {
  bytes: number;
  /** Where the number comes from, for messages ("PEFT_LAB_MEMORY_LIMIT_BYTES", "cgroup limit 4.00 GiB − RSS 310 MiB" …). */
  source: string;
}

/** PEFT_LAB_MEMORY_LIMIT_BYTES holds something that is not a byte count. */
export class MemoryLimitConfigError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly value: string) {
    super('MEMORY_LIMIT_CONFIG', `${MEMORY_LIMIT_ENV}=${JSON.stringify(value)}: must be a number of bytes ≥ 0 (e.g. 4000000000)`);
  }
}

/** Training would need more memory than is available: the estimate, before anything was loaded. */
export class InsufficientMemoryError extends PeftLabError {
  constructor(readonly model: string, readonly estimate: TrainingMemoryEstimate, readonly available: AvailableMemory) {
    super('INSUFFICIENT_MEMORY', insufficientMessage(model, estimate, available));
  }

  get neededBytes(): number {
    return this.estimate.bytes.total;
  }

  get availableBytes(): number {
    return this.available.bytes;
  }
}

/** 1536 → "1.5 KiB", 3·2³⁰ → "3.00 GiB" (binary units, as the rest of PEFT Lab's byte figures). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${Math.round(v)} B`;
  return `${v.toFixed(i >= 3 ? 2 : v < 10 ? 1 : 0)} ${units[i]}`;
}

/** How the message names a method (others: their declared label). */
const METHOD_PHRASES: Record<string, string> = {
  full: 'full fine-tuning', lora: 'LoRA', adapter: 'bottleneck adapters', prefix: 'prefix tuning', prompt: 'prompt tuning',
};

function insufficientMessage(model: string, e: TrainingMemoryEstimate, a: AvailableMemory): string {
  const b = e.bytes;
  const parts = [
    `weights ${formatBytes(b.weights)}`,
    ...(b.trainableParams ? [`added trainable params ${formatBytes(b.trainableParams)}`] : []),
    `gradients + AdamW moments ${formatBytes(b.gradientsAndOptimizer)}`,
    `activations ${formatBytes(b.activations)}`,
    ...(b.checkpoint ? [`checkpoint copies ${formatBytes(b.checkpoint)}`] : []),
    `runtime ${formatBytes(b.runtime)}`,
  ];
  const fixes = [
    ...(e.method === 'full' ? ['a PEFT method (LoRA, adapters, prefix or prompt tuning)'] : []),
    'a smaller batch size or sequence length',
    ...(e.gradientCheckpointing ? [] : ['gradient checkpointing (gradientCheckpointing: true in a sweep, --set gradientCheckpointing=true for peft-lab train)']),
    'or a machine with more memory',
  ];
  return `model ${model} (${e.family}, ${e.parameterCount.toLocaleString('en-US')} parameters, ${e.trainableParams.toLocaleString('en-US')} trainable) `
    + `does not fit in memory: ${METHOD_PHRASES[e.method] ?? (isMethodName(e.method) ? methodDeclaration(e.method).label : e.method)} at batch ${e.batchSize} × ${e.seqLen} tokens needs an estimated ${formatBytes(b.total)} `
    + `(${parts.join(', ')}) but ${formatBytes(a.bytes)} is available (${a.source}). Try ${fixes.join(', ')}; `
    + `${MEMORY_LIMIT_ENV} overrides the available memory.`;
}

/** A cgroup memory limit in bytes, or null (none, unlimited, or not readable). */
export function cgroupMemoryLimit(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | null {
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    let text: string;
    try {
      text = read(path).trim();
    } catch {
      continue;
    }
    if (!/^\d+$/.test(text)) continue; // "max": no limit
    const n = Number(text);
    // cgroup v1 writes a huge number (close to 2⁶³) for "no limit".
    if (n > 0 && n < totalmem() * 4) return n;
  }
  return null;
}

/** Memory this process may still use for training (see the file comment). */
export function availableMemory(env?: NodeJS.ProcessEnv): AvailableMemory {
  const override = engineEnv(env)[MEMORY_LIMIT_ENV];
  if (override !== undefined) {
    const n = Number(override);
    if (!Number.isFinite(n) || n < 0) throw new MemoryLimitConfigError(override);
    return { bytes: Math.floor(n), source: MEMORY_LIMIT_ENV };
  }
  const cgroup = cgroupMemoryLimit();
  const limit = cgroup ?? totalmem();
  const rss = process.memoryUsage.rss();
  const fromLimit = Math.max(0, limit - rss);
  const free = freemem();
  const what = `${cgroup !== null ? 'cgroup limit' : 'physical memory'} ${formatBytes(limit)} − this process's RSS ${formatBytes(rss)}`;
  return free < fromLimit
    ? { bytes: free, source: `the system's available memory; ${what} would be ${formatBytes(fromLimit)}` }
    : { bytes: fromLimit, source: what };
}

/**
 * Throws InsufficientMemoryError when `estimate` needs more than `available` (default:
 * availableMemory()); returns the available memory otherwise. `model` names the model in
 * the message (its name and directory).
 * @example checkTrainingMemory(estimateTrainingMemory({ config, head, method, batchSize, seqLen }), { model: dir })
 */
export function checkTrainingMemory(
  estimate: TrainingMemoryEstimate,
  opts: {
    model: string;
    available?: AvailableMemory | number;
    /** Bytes of the estimate this process already holds (a FrozenWeightCache's weights): in its RSS, so not needed again. */
    resident?: number;
  },
): AvailableMemory {
  let available = opts.available === undefined
    ? availableMemory()
    : typeof opts.available === 'number' ? { bytes: opts.available, source: 'given' } : opts.available;
  if (opts.resident) {
    available = { bytes: available.bytes + opts.resident, source: `${available.source} + ${formatBytes(opts.resident)} of its weights already loaded` };
  }
  if (estimate.bytes.total > available.bytes) throw new InsufficientMemoryError(opts.model, estimate, available);
  return available;
}
