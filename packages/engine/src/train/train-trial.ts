import * as tf from '@tensorflow/tfjs';
import type { Batch, HeadKind, PeftAttachment, TransformerModel } from '../types.js';
import { countParams, type ParamCounts } from '../measure/params.js';
import { memoryPeakWindow, PeakMemorySampler, type MemoryPeaks } from '../measure/memory.js';
import { measureInferenceLatency, type InferenceLatency } from '../measure/latency.js';
import { languageModelLossWith, measureForgetting, type Forgetting, type ForgettingSampleInput } from '../measure/forgetting.js';
import { AdamW, type FlatGradients } from './adamw.js';
import { collate, disposeBatch, type TokenExample } from './collate.js';
import { trainingLoss } from './losses.js';
import { leanVariableGrads } from './lean-grads.js';
import { warmupLinearDecay } from './lr-schedule.js';
import { evaluate, metricValue, type EvalMetrics, type MetricName } from './metrics.js';
import { SeededRng, shuffledOrder, withSeededMathRandom } from '../util/rng.js';
import {
  deserializeCheckpoint, restoreVariables, snapshotVariables, type DataPosition, type TrainCheckpoint,
} from './checkpoint.js';
import { TrainingConfigError } from './errors.js';
import { computeBackendLabel } from '../native/kernels.js';

/**
 * Batches from the caller instead of an example array. `open(from)` yields the
 * batches of epoch `from.epoch` starting at batch `from.index` (so a resumed
 * run can skip what it already saw); the loop disposes each batch it takes.
 */
export interface BatchSource {
  batchesPerEpoch: number;
  open(from: DataPosition): Iterator<Batch>;
}

export interface StepInfo {
  loss: number;
  lr: number;
  /** Non-padding tokens per second over this step. */
  tokensPerSec: number;
  gradNorm: number;
  /** Wall time of this step (batch build, forward, backward, update, the one read). */
  stepMs: number;
}

export interface TrainCallbacks {
  onStep?(step: number, info: StepInfo): void | Promise<void>;
  onEval?(step: number, metrics: EvalMetrics): void | Promise<void>;
  onCheckpoint?(step: number, checkpoint: TrainCheckpoint): void | Promise<void>;
  shouldStop?(step: number): boolean | Promise<boolean>;
}

export interface TrainTrialOptions {
  model: TransformerModel;
  attachment: PeftAttachment;
  task: HeadKind;
  metric: MetricName;
  trainData: TokenExample[] | BatchSource;
  evalData?: TokenExample[] | BatchSource;
  lr: number;
  weightDecay?: number;
  warmupSteps?: number;
  /** Fraction of the total steps used for warmup (ignored when warmupSteps is set). */
  warmupRatio?: number;
  /** Exactly one of maxSteps / epochs. */
  maxSteps?: number;
  epochs?: number;
  batchSize: number;
  /** Evaluate every N steps (and always at the end). 0/absent = only at the end. */
  evalEvery?: number;
  /** Emit a checkpoint every N steps; default = at each evaluation. */
  checkpointEvery?: number;
  /** Global-norm clipping threshold; absent = no clipping. */
  gradClip?: number;
  seed: number;
  padTokenId?: number;
  maxLength?: number;
  callbacks?: TrainCallbacks;
  resumeFrom?: TrainCheckpoint | Uint8Array;
  /** Activation checkpointing per transformer layer (model.gradientCheckpointing) while this runs. Default false. */
  gradientCheckpointing?: boolean;
  /** Inference latency measurement at the end (seqLen for it); false to skip. Default { seqLen: 32 }. */
  latency?: false | { seqLen: number; runs?: number };
  /**
   * Forgetting (measure/forgetting.ts): the causal-LM loss on this fixed sample of general text
   * is taken from the base model before training (hooks removed, before a resume restores
   * anything: for full fine-tuning the only moment the base weights exist) and from the
   * trained model at the end. Absent = not measured.
   */
  forgetting?: ForgettingSampleInput;
}

export type TrainStatus = 'completed' | 'stopped' | 'failed';

export interface TrainMeasurements extends ParamCounts, MemoryPeaks {
  backend: string;
  /** Peak of tfjs's tensor bytes (a saved clone of a buffer counts again): prefer peakAllocatorBytes. */
  peakBytes: number;
  /** Bytes held by tensors before training started (weights, data). */
  startBytes: number;
  tokensPerSec: number;
  wallTimeMs: number;
  meanStepMs: number;
  storedBytes: number;
  latency?: InferenceLatency;
  forgetting?: Forgetting;
}

export interface TrainResult {
  status: TrainStatus;
  /** Why the run ended early: "non-finite loss at step N", "stopped by caller at step N". */
  reason?: string;
  steps: number;
  finalLoss: number;
  /** Loss of every step run in this call (index 0 = first step of this call). */
  losses: number[];
  metric: MetricName;
  finalMetric?: number;
  bestMetric?: number;
  bestStep?: number;
  finalEval?: EvalMetrics;
  measurements: TrainMeasurements;
}

function validate(o: TrainTrialOptions): void {
  if ((o.maxSteps === undefined) === (o.epochs === undefined)) {
    throw new TrainingConfigError('maxSteps/epochs', { maxSteps: o.maxSteps, epochs: o.epochs }, 'give exactly one');
  }
  if (o.maxSteps !== undefined && !(Number.isInteger(o.maxSteps) && o.maxSteps > 0)) throw new TrainingConfigError('maxSteps', o.maxSteps, 'must be a positive integer');
  if (o.epochs !== undefined && !(o.epochs > 0)) throw new TrainingConfigError('epochs', o.epochs, 'must be > 0');
  if (!(Number.isInteger(o.batchSize) && o.batchSize > 0)) throw new TrainingConfigError('batchSize', o.batchSize, 'must be a positive integer');
  if (!(o.lr > 0 && Number.isFinite(o.lr))) throw new TrainingConfigError('lr', o.lr, 'must be a positive number');
  if (o.gradClip !== undefined && !(o.gradClip > 0)) throw new TrainingConfigError('gradClip', o.gradClip, 'must be > 0');
  if (Array.isArray(o.trainData) && o.trainData.length === 0) throw new TrainingConfigError('trainData', '[]', 'has no examples');
  if (o.attachment.trainable.size === 0) throw new TrainingConfigError('attachment.trainable', 0, 'has no trainable variables');
}

/** Turns examples or a BatchSource into a resumable stream of batches. */
class BatchStream {
  pos: DataPosition = { epoch: 0, index: 0 };
  private it: Iterator<Batch> | null = null;
  private order: { epoch: number; ids: number[] } | null = null;
  constructor(private readonly data: TokenExample[] | BatchSource, private readonly o: TrainTrialOptions) {}

  get batchesPerEpoch(): number {
    return Array.isArray(this.data) ? Math.ceil(this.data.length / this.o.batchSize) : this.data.batchesPerEpoch;
  }

  /** The next batch and the position after it (what a checkpoint must record). */
  next(): Batch {
    if (Array.isArray(this.data)) {
      const n = this.data.length;
      if (this.pos.index >= n) this.pos = { epoch: this.pos.epoch + 1, index: 0 };
      if (this.order?.epoch !== this.pos.epoch) this.order = { epoch: this.pos.epoch, ids: shuffledOrder(n, this.o.seed, this.pos.epoch) };
      const order = this.order.ids;
      const ids = order.slice(this.pos.index, this.pos.index + this.o.batchSize);
      this.pos = { ...this.pos, index: this.pos.index + ids.length };
      const ex = this.data;
      return collate(ids.map((i) => ex[i]), { task: this.o.task, padTokenId: this.o.padTokenId, maxLength: this.o.maxLength });
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      this.it ??= this.data.open(this.pos);
      const r = this.it.next();
      if (!r.done) {
        this.pos = { ...this.pos, index: this.pos.index + 1 };
        return r.value;
      }
      this.it = null;
      this.pos = { epoch: this.pos.epoch + 1, index: 0 };
    }
    throw new TrainingConfigError('trainData', 'BatchSource', 'yielded no batches for a whole epoch');
  }
}

function evalBatches(data: TokenExample[] | BatchSource, o: TrainTrialOptions): { batches: Batch[]; owned: boolean } {
  if (Array.isArray(data)) {
    const batches: Batch[] = [];
    for (let i = 0; i < data.length; i += o.batchSize) {
      batches.push(collate(data.slice(i, i + o.batchSize), { task: o.task, padTokenId: o.padTokenId, maxLength: o.maxLength }));
    }
    return { batches, owned: true };
  }
  const batches: Batch[] = [];
  const it = data.open({ epoch: 0, index: 0 });
  for (let r = it.next(); !r.done; r = it.next()) batches.push(r.value);
  return { batches, owned: true };
}

/**
 * Trains `attachment.trainable` of `model` with AdamW, warmup + linear decay
 * and optional global-norm clipping, evaluating and checkpointing through the
 * callbacks. Deterministic for a seed on a given backend: data order comes
 * from (seed, epoch), the methods initialise from their seeds, and the RNG
 * state travels in the checkpoint.
 *
 * Per step: one `leanVariableGrads` (tf.variableGrads freeing as it goes) over all trainables, one read of
 * [loss, grad norm, token count], one fused AdamW update inside `tf.tidy`.
 * A non-finite loss or gradient norm ends the run before the update.
 */
export async function trainTrial(o: TrainTrialOptions): Promise<TrainResult> {
  validate(o);
  const { model, attachment, task } = o;
  // Before the clock, the memory window and the resume (which restores trained weights into a
  // full fine-tuning model): the base model's loss on the forgetting sample.
  const forgettingBase = o.forgetting ? await languageModelLossWith(model, null, o.forgetting.sequences) : null;
  const t0 = performance.now();
  const memory = new PeakMemorySampler();
  const peaks = memoryPeakWindow();
  const stream = new BatchStream(o.trainData, o);
  const totalSteps = o.maxSteps ?? Math.ceil(o.epochs! * stream.batchesPerEpoch);
  const warmupSteps = o.warmupSteps ?? Math.round((o.warmupRatio ?? 0) * totalSteps);
  const params = attachment.trainable;
  const optimizer = new AdamW(params, { weightDecay: o.weightDecay ?? 0 });
  const varList = [...params.values()];
  // Listing a variable in `trainable` is what claims it: the model family may
  // create its base weights frozen (trainable = false), and tf.variableGrads
  // silently skips frozen ones.
  for (const v of varList) v.trainable = true;
  const keyOfVar = new Map([...params].map(([k, v]) => [v.name, k]));
  const rng = new SeededRng(o.seed);
  const checkpointingBefore = model.gradientCheckpointing;
  model.gradientCheckpointing = o.gradientCheckpointing ?? false;

  let step = 0;
  let best: { value: number; step: number } | undefined;
  let finalEval: EvalMetrics | undefined;
  if (o.resumeFrom) {
    const c = o.resumeFrom instanceof Uint8Array ? deserializeCheckpoint(o.resumeFrom) : o.resumeFrom;
    restoreVariables(params, c.params, 'trainable');
    optimizer.restoreMoments(c.adamM, c.adamV);
    optimizer.t = c.optimizerT;
    step = c.step;
    rng.state = c.rngState;
    stream.pos = { ...c.dataPosition };
    best = c.extra.best as typeof best;
  }

  const evalSet = o.evalData ? evalBatches(o.evalData, o) : null;
  const losses: number[] = [];
  let status: TrainStatus = 'completed';
  let reason: string | undefined;
  let tokens = 0, stepMsSum = 0;
  const evalEvery = o.evalEvery ?? 0;
  const checkpointEvery = o.checkpointEvery ?? evalEvery;

  const runEval = async () => {
    if (!evalSet) return;
    finalEval = await evaluate(model, task, evalSet.batches);
    const { value, higherIsBetter } = metricValue(finalEval, o.metric);
    if (Number.isFinite(value) && (!best || (higherIsBetter ? value > best.value : value < best.value))) best = { value, step };
    await o.callbacks?.onEval?.(step, finalEval);
  };
  const checkpoint = async (): Promise<TrainCheckpoint> => {
    const { m, v } = await optimizer.moments();
    return {
      step, seed: o.seed, rngState: rng.state, dataPosition: { ...stream.pos }, optimizerT: optimizer.t,
      params: await snapshotVariables(params), adamM: m, adamV: v,
      extra: { best, method: attachment.method, adapterName: attachment.adapterName },
    };
  };

  try {
    while (step < totalSteps) {
      const ts = performance.now();
      const lr = warmupLinearDecay(step, o.lr, warmupSteps, totalSteps);
      // Advanced once per step so a resumed run continues the same stream; it
      // seeds anything stochastic the step needs (kept in the checkpoint).
      const dropoutSeed = rng.nextSeed();
      const batch = stream.next();
      let grads: Map<string, tf.Tensor> | null = null;
      let flat: FlatGradients | null = null;
      let stats: tf.Tensor | null = null;
      try {
        const { value, grads: named } = leanVariableGrads(() => {
          const loss = withSeededMathRandom(dropoutSeed, () => trainingLoss(model, task, batch));
          // Here every activation saved for the backward pass is alive: where the step's
          // tensor bytes peak (the backward pass frees them as it goes; sampled there too).
          memory.sample();
          return loss;
        }, varList, () => memory.sample());
        grads = new Map();
        for (const [vn, g] of Object.entries(named)) if (g) grads.set(keyOfVar.get(vn)!, g);
        memory.sample();
        flat = optimizer.flattenGradients(grads);
        tf.dispose([...grads.values()]);
        grads = null;
        const norm = flat.norm;
        stats = tf.tidy(() => tf.stack([value, norm, batch.attentionMask.toFloat().sum()]));
        value.dispose();
        const [loss, gradNorm, nTokens] = await stats.data();
        if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
          status = 'failed';
          reason = `non-finite loss at step ${step + 1}`;
          losses.push(loss);
          break;
        }
        const scale = o.gradClip !== undefined && gradNorm > o.gradClip ? o.gradClip / (gradNorm + 1e-6) : 1;
        optimizer.applyFlat(flat, lr, scale);
        step += 1;
        losses.push(loss);
        tokens += nTokens;
        const ms = performance.now() - ts;
        stepMsSum += ms;
        await o.callbacks?.onStep?.(step, { loss, lr, tokensPerSec: (nTokens / ms) * 1000, gradNorm, stepMs: ms });
      } finally {
        if (grads) tf.dispose([...grads.values()]);
        flat?.dispose();
        stats?.dispose();
        disposeBatch(batch);
      }
      if (evalEvery > 0 && step % evalEvery === 0 && step < totalSteps) await runEval();
      if (checkpointEvery > 0 && step % checkpointEvery === 0 && step < totalSteps && o.callbacks?.onCheckpoint) {
        await o.callbacks.onCheckpoint(step, await checkpoint());
      }
      if (step < totalSteps && (await o.callbacks?.shouldStop?.(step))) {
        status = 'stopped';
        reason = `stopped by caller at step ${step}`;
        if (o.callbacks?.onCheckpoint) await o.callbacks.onCheckpoint(step, await checkpoint());
        break;
      }
    }
    if (status !== 'failed') await runEval();
    const trainMs = performance.now() - t0;
    const memoryPeaks = peaks.end(); // training and evaluation; not the latency runs after
    const forgetting = o.forgetting && status !== 'failed' ? await measureForgetting(model, o.forgetting, forgettingBase) : undefined;
    const latency = o.latency === false || status === 'failed' ? undefined
      : await measureInferenceLatency(model, attachment, { seqLen: o.latency?.seqLen ?? 32, runs: o.latency?.runs });
    const finalMetric = finalEval ? metricValue(finalEval, o.metric).value : undefined;
    return {
      status, reason, steps: step, finalLoss: losses.length ? losses[losses.length - 1] : NaN, losses,
      metric: o.metric, finalMetric, bestMetric: best?.value, bestStep: best?.step, finalEval,
      measurements: {
        ...countParams(model, attachment),
        backend: computeBackendLabel(),
        peakBytes: memory.peakBytes,
        startBytes: memory.startBytes,
        ...memoryPeaks,
        tokensPerSec: stepMsSum > 0 ? (tokens / stepMsSum) * 1000 : 0,
        wallTimeMs: trainMs,
        meanStepMs: losses.length ? stepMsSum / losses.length : 0,
        storedBytes: attachment.storedBytes(),
        latency,
        forgetting,
      },
    };
  } finally {
    model.gradientCheckpointing = checkpointingBefore;
    optimizer.dispose();
    if (evalSet?.owned) evalSet.batches.forEach(disposeBatch);
  }
}
