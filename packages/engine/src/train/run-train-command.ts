import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { attachPeft } from '../peft/base.js';
import { methodDeclaration } from '../peft/declarations.js';
// Registers every method with the registry, so callers need not import the engine index first.
import '../peft/methods.js';
import { loadHfModel } from '../hf/model-io.js';
import type { HfTokenizer } from '../hf/tokenizer.js';
import { createModel, normalizeHfConfig } from '../models/registry.js';
import type { HeadKind, PeftMethodName, SequencePooling, TransformerModel } from '../types.js';
import { TrainingConfigError } from './errors.js';
import { byteTokenize, loadJsonlTask, splitExamples } from './jsonl-task.js';
import type { MetricName } from './metrics.js';
import { saveAttachment } from '../peft/save-attachment.js';
import { trainTrial, type TrainResult } from './train-trial.js';

export interface RunTrainCommandOptions {
  /** A local Hugging Face model directory, or `builtin`. */
  model: string;
  /** A JSONL task file (see jsonl-task.ts). Built-in task names arrive with the data package. */
  task: string;
  method: PeftMethodName;
  /**
   * `--set key=value` pairs. Training keys (lr, batchSize, weightDecay,
   * warmupRatio, warmupSteps, evalEvery, gradClip, seed, maxLength,
   * evalFraction, latencySeqLen, latencyRuns (0 skips the latency measurement)) go to the loop;
   * pooling=last|mean picks a decoder classifier's pooling (SequencePooling); gradientCheckpointing=true recomputes
   * each layer in the backward pass (less memory); every other key is method config (r, alpha,
   * targetModules, bottleneck, numVirtualTokens…).
   */
  set?: Record<string, string>;
  steps: number;
  out: string;
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
}

const TRAIN_KEYS = ['lr', 'batchSize', 'weightDecay', 'warmupRatio', 'warmupSteps', 'evalEvery', 'gradClip', 'seed', 'maxLength', 'evalFraction', 'latencySeqLen', 'latencyRuns'] as const;

/** `8` → 8, `true` → true, `[1,2]`/`"x"` → JSON, `q,v` → ['q','v'], anything else → the string. */
export function parseSetValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw.includes(',') ? raw.split(',').map((s) => s.trim()) : raw;
  }
}

/**
 * The `builtin` model until the data package ships the pretrained one: a
 * randomly initialised ref-small GPT-2 (vocab 256) read through UTF-8 bytes.
 */
function builtinModel(head: HeadKind, numLabels: number | undefined, seed: number, pooling?: SequencePooling): { model: TransformerModel; tokenize: (t: string) => number[] } {
  const config = normalizeHfConfig({ model_type: 'gpt2', vocab_size: 256, n_positions: 256, n_embd: 128, n_layer: 2, n_head: 4, n_inner: 512, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
  if (numLabels) config.numLabels = numLabels;
  config.pooling = pooling;
  return { model: createModel(config, head, seed), tokenize: byteTokenize };
}

/**
 * What `peft-lab train` runs: load model and task, attach the method, train
 * `steps` steps with progress lines, write the adapter (or full model for
 * `full`) and `summary.json` into `out`. Returns the summary.
 * @example await runTrainCommand({ model: 'builtin', task: 'spam.jsonl', method: 'lora', set: { r: '8' }, steps: 100, out: 'runs/1' })
 */
export async function runTrainCommand(o: RunTrainCommandOptions): Promise<TrainResult & { files: string[]; task: HeadKind; labelNames: string[] }> {
  const log = o.log ?? ((l: string) => console.log(l));
  if (!existsSync(o.task) || !statSync(o.task).isFile()) {
    throw new TrainingConfigError('task', o.task, 'is not a JSONL file (built-in task names come with the data package)');
  }
  const methodConfig: Record<string, unknown> = {};
  const train: Record<string, number> = {};
  let pooling: SequencePooling | undefined;
  let gradientCheckpointing = false;
  for (const [k, raw] of Object.entries(o.set ?? {})) {
    const v = parseSetValue(raw);
    if (k === 'pooling') {
      if (v !== 'last' && v !== 'mean') throw new TrainingConfigError('pooling', raw, 'must be last or mean');
      pooling = v;
    } else if (k === 'gradientCheckpointing') {
      if (typeof v !== 'boolean') throw new TrainingConfigError('gradientCheckpointing', raw, 'must be true or false');
      gradientCheckpointing = v;
    } else if ((TRAIN_KEYS as readonly string[]).includes(k)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new TrainingConfigError(k, raw, 'must be a number');
      train[k] = v;
    } else methodConfig[k] = v;
  }
  const seed = train.seed ?? 0;
  const maxLength = train.maxLength ?? 128;

  let model: TransformerModel;
  let tokenizer: HfTokenizer | null = null;
  let tokenize: (t: string) => number[];
  // Tokenise before building the model: the task decides the head and label count.
  if (o.model === 'builtin') tokenize = byteTokenize;
  else {
    const probe = loadHfModel(o.model);
    tokenizer = probe.tokenizer;
    probe.model.dispose();
    if (!tokenizer) throw new TrainingConfigError('model', o.model, 'has no tokenizer.json');
    tokenize = (t) => tokenizer!.encode(t);
  }
  const task = loadJsonlTask(o.task, tokenize, { maxLength });
  const numLabels = task.labelNames.length || undefined;
  if (task.task !== 'sequence-classification') pooling = undefined;
  if (o.model === 'builtin') model = builtinModel(task.task, numLabels, seed, pooling).model;
  else model = loadHfModel(o.model, { head: task.task, numLabels, seed, pooling }).model;

  const { train: trainSet, eval: evalSet } = splitExamples(task.examples, train.evalFraction ?? 0.1, seed);
  const metric: MetricName = task.task === 'causal-lm' ? 'perplexity' : 'accuracy';
  const attachment = attachPeft(model, o.method, methodConfig);
  log(`training ${o.method} on ${o.model} (${task.task}, ${trainSet.length} train / ${evalSet.length} eval examples) for ${o.steps} steps on ${tf.getBackend()}`);
  const every = Math.max(1, Math.round(o.steps / 20));
  try {
    const result = await trainTrial({
      model, attachment, task: task.task, metric, trainData: trainSet, evalData: evalSet.length ? evalSet : undefined,
      lr: train.lr ?? methodDeclaration(o.method).defaultLr, weightDecay: train.weightDecay ?? 0.01,
      warmupRatio: train.warmupRatio ?? 0.06, warmupSteps: train.warmupSteps, maxSteps: o.steps,
      batchSize: train.batchSize ?? 8, evalEvery: train.evalEvery ?? Math.max(1, Math.round(o.steps / 5)),
      gradClip: train.gradClip ?? 1, seed, padTokenId: tokenizer?.padTokenId ?? 0, maxLength, gradientCheckpointing,
      latency: train.latencyRuns === 0 ? false : { seqLen: train.latencySeqLen ?? Math.min(maxLength, 64), runs: train.latencyRuns },
      callbacks: {
        onStep: (s, i) => { if (s % every === 0 || s === o.steps) log(`step ${s}/${o.steps} loss ${i.loss.toFixed(4)} lr ${i.lr.toExponential(2)} ${Math.round(i.tokensPerSec)} tok/s`); },
        onEval: (s, m) => log(`eval @${s}: loss ${m.loss.toFixed(4)} ${metric} ${(metric === 'perplexity' ? m.perplexity : m.accuracy)?.toFixed(4)}`),
      },
    });
    mkdirSync(o.out, { recursive: true });
    const files = result.status === 'failed' ? [] : await saveAttachment(model, attachment, tokenizer, o.out);
    const summary = { ...result, method: o.method, model: o.model, taskFile: o.task, task: task.task, labelNames: task.labelNames, files, config: attachment.config, pooling: task.task === 'sequence-classification' ? (model.config.pooling ?? 'last') : undefined };
    writeFileSync(join(o.out, 'summary.json'), JSON.stringify(summary, null, 2));
    log(`${result.status}${result.reason ? ` (${result.reason})` : ''}: ${result.steps} steps, final loss ${result.finalLoss.toFixed(4)}, ${metric} ${result.finalMetric?.toFixed(4) ?? 'n/a'}; wrote ${[...files, 'summary.json'].join(', ')} to ${o.out}`);
    return { ...result, files, task: task.task, labelNames: task.labelNames };
  } finally {
    attachment.dispose();
    model.dispose();
  }
}
