// One claimed trial, start to end: prepare → resume → train with the engine's
// callbacks adapted to the database → complete / fail / prune / cancel / release.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  computeBackendLabel, saveAttachment, serializeCheckpoint, trainTrial, type BackendInfo, type EvalMetrics, type TrainResult,
} from '@peft-lab/engine';
import { LeaseLostError, loadArtifactContent, otherTrialsHistories, pingDatabase, TrialFinishedError, trialHistory, type Db, type MetricPointInput, type TrialLease, type TrialQueue } from '@peft-lab/db';
import { earlyStoppingDecision } from '@peft-lab/sweeps';
import { forgettingSample } from '@peft-lab/data';
import type { Logger } from 'pino';
import { isConnectionError, untilConnected } from './backoff.js';
import { MetricBuffer } from './metric-buffer.js';
import { prepareTrial, type PreparedTrial, type PrepareOptions } from './prepare-trial.js';
import type { ProgressBoard } from './progress.js';

export type TrialOutcome = 'completed' | 'failed' | 'pruned' | 'cancelled' | 'released' | 'lost';

export interface RunTrialContext {
  db: Db;
  queue: TrialQueue;
  lease: TrialLease;
  backend: BackendInfo;
  log: Logger;
  progress: ProgressBoard;
  /** Steps between checkpoints; default: at each evaluation. */
  checkpointEvery?: number;
  /** Set by SIGTERM/SIGINT: checkpoint, release the lease, return 'released'. */
  shutdown: { requested: boolean };
  metricFlushMs?: number;
  metricFlushPoints?: number;
  prepare?: PrepareOptions;
  /**
   * Inference latency after training, base / adapted / merged timed interleaved in the same
   * rounds (engine measure/latency.ts); default on (seqLen ≤ 32, 7 rounds).
   */
  measureLatency?: boolean;
  /** Forgetting (base vs trained causal-LM loss on held-out pretraining text, 32 × ≤ 64 tokens); default on. */
  measureForgetting?: boolean;
}

/** Engine eval metric keys → the series / summary names the reports read. */
const EVAL_NAMES: Record<string, string> = { loss: 'loss', accuracy: 'accuracy', macroF1: 'macro-f1', tokenAccuracy: 'token-accuracy', perplexity: 'perplexity' };

function evalPoints(step: number, m: EvalMetrics): MetricPointInput[] {
  const out: MetricPointInput[] = [];
  for (const [k, name] of Object.entries(EVAL_NAMES)) {
    const v = (m as unknown as Record<string, number | undefined>)[k];
    if (typeof v === 'number') out.push({ name: `eval/${name}`, step, value: v });
  }
  return out;
}

/** True for the errors that mean the trial is no longer ours to write. */
const isLeaseGone = (err: unknown) => err instanceof LeaseLostError || err instanceof TrialFinishedError
  || (err instanceof Error && (err.name === 'LeaseLostError' || err.name === 'TrialFinishedError'));

/**
 * Retries `fn` while the database is unreachable (backoff, for up to 2 minutes), so a
 * PostgreSQL restart does not cost the trial. Other errors propagate, and so does a request
 * the server keeps dropping while it answers a probe (RefusedRequestError): that is a
 * refused write, not an outage. (No shutdown flag: it never gives up with undefined.)
 */
const withReconnect = <T>(db: Db, log: Logger, what: string, fn: () => Promise<T>): Promise<T> =>
  untilConnected(log, what, fn, { giveUpMs: 120_000, probe: async () => { if (!(await pingDatabase(db))) throw new Error('database does not answer'); } }) as Promise<T>;

export async function runTrial(ctx: RunTrialContext): Promise<TrialOutcome> {
  const { db, queue, lease, log: baseLog } = ctx;
  const trial = lease.trial;
  const log = baseLog.child({ trialId: trial.id, sweepId: trial.sweepId, index: trial.index, method: trial.method, attempt: trial.attempt });
  const state = { lost: null as Error | null, cancel: false, prune: null as string | null, step: trial.lastCheckpointStep ?? 0, stoppedForShutdown: false, finished: false };
  const label = `#${trial.index} ${trial.method}`;
  const onLost = (err: Error) => {
    // A heartbeat in flight while the final transition commits finds the lease gone: not a loss.
    if (state.finished) return;
    if (!state.lost) log.warn({ err: err.message }, 'lease lost: dropping the trial without completing it');
    state.lost ??= err;
  };

  // Heartbeat from the moment of the claim: preparing a big model takes a while too.
  const heartbeatMs = Math.max(100, Math.floor(lease.leaseMs / 3));
  let beating = false;
  const heartbeat = setInterval(() => {
    if (beating || state.lost) return;
    beating = true;
    // Never wait on one heartbeat longer than a beat: the next one must still go out.
    const limit = new Promise<never>((_, rej) => setTimeout(() => rej(Object.assign(new Error('heartbeat timed out'), { code: 'ETIMEDOUT' })), heartbeatMs * 2).unref());
    Promise.race([queue.heartbeat(lease, { step: state.step, total: trial.progressTotal ?? undefined }), limit])
      .then((r) => {
        if (r.cancelRequested && !state.cancel) {
          log.info('cancellation requested: stopping');
          state.cancel = true;
        }
      })
      .catch((err) => {
        if (isLeaseGone(err)) onLost(err);
        else log.warn({ err: (err as Error).message }, 'heartbeat failed; retrying at the next beat');
      })
      .finally(() => { beating = false; });
  }, heartbeatMs);

  let prepared: PreparedTrial | undefined;
  const buffer = new MetricBuffer(queue, lease, {
    flushMs: ctx.metricFlushMs ?? 1_000,
    maxPoints: ctx.metricFlushPoints ?? 500,
    onLeaseLost: (err) => { if (isLeaseGone(err)) onLost(err); else log.error({ err: err.message }, 'metric write refused'); },
    onRetry: (err) => log.debug({ err: err.message }, 'metric flush deferred: database unreachable'),
  });

  // Final transitions: retried through a restart of PostgreSQL; a lost lease means 'lost'.
  const finish = async (outcome: Exclude<TrialOutcome, 'lost'>, write: () => Promise<unknown>): Promise<TrialOutcome> => {
    if (state.lost) return 'lost';
    try {
      await withReconnect(db, log, `mark ${outcome}`, write);
      state.finished = true;
      log.info({ outcome, step: state.step }, `trial ${outcome}`);
      return outcome;
    } catch (err) {
      if (isLeaseGone(err)) { onLost(err as Error); return 'lost'; }
      throw err;
    }
  };
  const flushAll = async () => {
    if (state.lost) return;
    try {
      await withReconnect(db, log, 'metric flush', () => buffer.flush());
    } catch (err) {
      if (!isLeaseGone(err)) throw err;
    }
  };

  try {
    try {
      prepared = await prepareTrial(db, trial, ctx.prepare);
    } catch (err) {
      if (isConnectionError(err)) {
        // Cannot even read the trial's inputs: let the lease lapse, another attempt will come.
        log.warn({ err: (err as Error).message }, 'database unreachable while preparing; leaving the trial to lease expiry');
        return 'lost';
      }
      log.error({ err: (err as Error).message }, 'trial setup failed');
      return await finish('failed', () => queue.failTrial(lease, err as Error, computeBackendLabel()));
    }
    const p = prepared;
    log.info({ model: p.modelName, reusedBaseWeights: p.reusedBaseWeights }, 'trial prepared');
    const { training, objective } = p;
    const objectiveSeries = objective.series;

    // Resume: the last checkpoint's state, and only the points up to its step.
    let resumeFrom: Uint8Array | undefined;
    const fromStep = trial.lastCheckpointRef ? (trial.lastCheckpointStep ?? 0) : 0;
    if (trial.lastCheckpointRef) {
      resumeFrom = await withReconnect(db, log, 'load checkpoint', () => loadArtifactContent(db, trial.lastCheckpointRef!));
      log.info({ fromStep }, 'resuming from checkpoint');
    }
    try {
      const dropped = await withReconnect(db, log, 'drop points past the checkpoint', () => queue.deleteMetricPointsAfter(lease, fromStep));
      if (dropped) log.info({ dropped, fromStep }, 'dropped metric points written after the last checkpoint');
    } catch (err) {
      if (isLeaseGone(err)) { onLost(err as Error); return 'lost'; }
      throw err;
    }
    const myEvals = fromStep > 0 ? await withReconnect(db, log, 'own history', () => trialHistory(db, trial.id, objectiveSeries, fromStep)) : [];
    buffer.start();

    const total = training.maxSteps ?? null;
    let result: TrainResult;
    try {
      result = await trainTrial({
        model: p.model, attachment: p.attachment, task: p.head, metric: objective.engineMetric,
        trainData: p.trainData, evalData: p.evalData.length ? p.evalData : undefined,
        lr: training.lr, weightDecay: training.weightDecay, warmupRatio: training.warmupRatio,
        ...(training.maxSteps !== undefined ? { maxSteps: training.maxSteps } : { epochs: training.epochs }),
        batchSize: training.batchSize, evalEvery: training.evalEvery,
        checkpointEvery: ctx.checkpointEvery ?? training.evalEvery,
        gradClip: training.gradClip > 0 ? training.gradClip : undefined,
        seed: trial.seed, padTokenId: p.tokenizer.padTokenId ?? 0, maxLength: training.maxSeqLen,
        gradientCheckpointing: training.gradientCheckpointing,
        resumeFrom,
        // 7 rounds: enough for a median and an inter-quartile range of the per-round ratios.
        latency: ctx.measureLatency === false ? false : { seqLen: Math.min(32, training.maxSeqLen), runs: 7 },
        forgetting: ctx.measureForgetting === false ? undefined : forgettingInput(p),
        callbacks: {
          onStep: async (step, info) => {
            state.step = step;
            // tfjs-node resolves data() without a macrotask turn: without this yield the
            // heartbeat and flush timers would not fire until training ended.
            await new Promise<void>((r) => setImmediate(r));
            if (state.lost) return;
            buffer.add(
              { name: 'train/loss', step, value: info.loss },
              { name: 'train/lr', step, value: info.lr },
              { name: 'train/tokens_per_sec', step, value: info.tokensPerSec },
              { name: 'train/grad_norm', step, value: info.gradNorm },
            );
            ctx.progress.update({ trialId: trial.id, label, step, total, loss: info.loss, tokensPerSec: info.tokensPerSec });
          },
          onEval: async (step, m) => {
            // The engine evaluates once more after a stop; that point belongs to no schedule.
            if (state.lost || state.cancel || state.prune || ctx.shutdown.requested) return;
            buffer.add(...evalPoints(step, m));
            const value = (m as unknown as Record<string, number>)[Object.keys(EVAL_NAMES).find((k) => EVAL_NAMES[k] === objective.metric) ?? 'loss'];
            if (typeof value !== 'number') return;
            myEvals.push({ step, value });
            ctx.progress.update({ trialId: trial.id, label, step, total, metric: { name: objective.metric, value } });
            if (p.earlyStopping.type === 'none' || (total !== null && step >= total)) return;
            try {
              const others = await otherTrialsHistories(db, trial.sweepId, trial.id, objectiveSeries);
              const d = earlyStoppingDecision(p.earlyStopping, myEvals, others, objective.direction);
              if (d.stop) {
                log.info({ step, reason: d.reason }, 'early stopping: pruning');
                state.prune = d.reason;
              }
            } catch (err) {
              log.warn({ err: (err as Error).message }, 'early-stopping check skipped');
            }
          },
          onCheckpoint: async (step, checkpoint) => {
            if (state.lost || state.cancel || state.prune) return;
            // Points up to this step must be stored before the checkpoint that vouches for them:
            // a resumed run deletes everything after the checkpoint and relies on nothing before it missing.
            await flushAll();
            if (state.lost) return;
            const content = serializeCheckpoint(checkpoint);
            try {
              const a = await withReconnect(db, log, 'store checkpoint', () => queue.storeArtifact(lease, { kind: 'checkpoint', file: 'checkpoint.safetensors', content, step, asCheckpoint: true }));
              log.debug({ step, bytes: a.bytes }, 'checkpoint stored');
            } catch (err) {
              if (isLeaseGone(err)) onLost(err as Error);
              else throw err;
            }
          },
          shouldStop: () => {
            if (ctx.shutdown.requested) state.stoppedForShutdown = true;
            return Boolean(state.lost || state.cancel || state.prune || ctx.shutdown.requested);
          },
        },
      });
    } catch (err) {
      buffer.stop();
      if (state.lost) return 'lost';
      log.error({ err: (err as Error).message, stack: (err as Error).stack }, 'training failed');
      await flushAll();
      return await finish('failed', () => queue.failTrial(lease, err as Error, computeBackendLabel()));
    }
    buffer.stop();
    if (state.lost) return 'lost';
    await flushAll();
    if (state.lost) return 'lost';

    const summary = summarize(result, objective.metric);
    const measurements = measurementsOf(result);
    if (result.status === 'failed') {
      return await finish('failed', () => queue.failTrial(lease, result.reason ?? 'training failed', computeBackendLabel()));
    }
    if (state.cancel) return await finish('cancelled', () => queue.markCancelled(lease));
    if (state.prune) return await finish('pruned', () => queue.pruneTrial(lease, state.prune!, summary));
    if (result.status === 'stopped' && state.stoppedForShutdown) {
      return await finish('released', () => queue.releaseLease(lease));
    }
    await storeOutputs(ctx, p, log);
    if (state.lost) return 'lost';
    return await finish('completed', () => queue.completeTrial(lease, summary, measurements, computeBackendLabel()));
  } catch (err) {
    // Anything unexpected after the claim: record it on the trial instead of letting the
    // lease lapse into a retry that would fail the same way. An unreachable database is
    // the exception: then the lease lapses and another attempt comes.
    if (state.lost || isLeaseGone(err)) return 'lost';
    if (isConnectionError(err)) throw err;
    log.error({ err: (err as Error).message, stack: (err as Error).stack }, 'trial failed unexpectedly');
    return await finish('failed', () => queue.failTrial(lease, err as Error, computeBackendLabel()));
  } finally {
    clearInterval(heartbeat);
    buffer.stop();
    prepared?.dispose();
  }

  /** The adapter files (or the full model) as artifacts: what a task must store. */
  async function storeOutputs(c: RunTrialContext, p: PreparedTrial, l: Logger): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'peft-lab-adapter-'));
    try {
      const files = await saveAttachment(p.model, p.attachment, null, dir);
      const kind = p.method === 'full' ? 'full_model' : 'adapter';
      for (const file of files) {
        try {
          // Streamed from the file in chunks: a full model of a real checkpoint can be gigabytes.
          await withReconnect(c.db, l, `store ${file}`, () => c.queue.storeArtifact(c.lease, { kind, file, content: createReadStream(join(dir, file)), step: state.step }));
        } catch (err) {
          if (isLeaseGone(err)) { onLost(err as Error); return; }
          throw err;
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * The fixed forgetting sample in the trial's tokenizer: 32 sequences of 64 tokens (at most half
 * the model's positions, leaving room for a prefix or soft prompt). Undefined when it has no rows.
 */
function forgettingInput(p: PreparedTrial): { sequences: number[][]; source: string } | undefined {
  const seqLen = Math.max(2, Math.min(64, Math.floor((p.model.config.maxPositions ?? 128) / 2)));
  const s = forgettingSample(p.tokenizer, { sequences: 32, seqLen });
  return s.sequences.length ? { sequences: s.sequences, source: s.source } : undefined;
}

/** Summary metrics in the names packages/report reads (`eval_<metric>`, final_loss, steps…). */
export function summarize(r: TrainResult, objectiveMetric: string): Record<string, number | null> {
  const s: Record<string, number | null> = {
    steps: r.steps,
    final_loss: Number.isFinite(r.finalLoss) ? r.finalLoss : null,
    wall_time_s: r.measurements.wallTimeMs / 1000,
  };
  if (r.finalEval) {
    for (const [k, name] of Object.entries(EVAL_NAMES)) {
      const v = (r.finalEval as unknown as Record<string, number | undefined>)[k];
      if (typeof v === 'number') s[`eval_${name}`] = Number.isFinite(v) ? v : null;
    }
  }
  if (r.bestMetric !== undefined) s[`best_${objectiveMetric}`] = r.bestMetric;
  if (r.bestStep !== undefined) s.best_step = r.bestStep;
  return s;
}

/** The engine's measurements in packages/report's field names (all numeric; NaN → null). */
export function measurementsOf(r: TrainResult): Record<string, number | string | null> {
  const m = r.measurements;
  const n = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);
  const l = m.latency;
  const f = m.forgetting;
  // Same-trial overheads (per-round ratios against the base model timed in the same rounds):
  // the median and the quartiles, e.g. latencyRatioBatch1 / latencyRatioBatch1Q1 / …Q3.
  const ratio = (name: string, x: { median: number; q1: number; q3: number } | undefined) => ({
    [name]: n(x?.median), [`${name}Q1`]: n(x?.q1), [`${name}Q3`]: n(x?.q3),
  });
  return {
    trainableParams: m.trainableParams,
    totalParams: m.totalParams,
    trainablePercent: m.trainableShare * 100,
    peakBytes: n(m.peakBytes),
    peakAllocatorBytes: n(m.peakAllocatorBytes),
    // The window starts with the trial where Linux allows (else it is the process's peak).
    peakRssBytes: m.peakRssScope === 'since-reset' ? n(m.peakRssBytes) : null,
    startBytes: n(m.startBytes),
    tokensPerSec: n(m.tokensPerSec),
    wallTimeS: m.wallTimeMs / 1000,
    meanStepMs: n(m.meanStepMs),
    storedBytes: n(m.storedBytes),
    latencyMsBatch1: n(m.latency?.batch1Ms),
    latencyMsBatch8: n(m.latency?.batch8Ms),
    latencyMergedMsBatch1: n(m.latency?.mergedBatch1Ms),
    latencyMergedMsBatch8: n(m.latency?.mergedBatch8Ms),
    latencyBaseMsBatch1: n(m.latency?.baseBatch1Ms),
    latencyBaseMsBatch8: n(m.latency?.baseBatch8Ms),
    latencySeqLen: n(m.latency?.seqLen),
    latencyRounds: n(l?.rounds),
    ...ratio('latencyRatioBatch1', l?.ratios.adaptedBatch1),
    ...ratio('latencyRatioBatch8', l?.ratios.adaptedBatch8),
    ...ratio('latencyMergedRatioBatch1', l?.ratios.mergedBatch1),
    ...ratio('latencyMergedRatioBatch8', l?.ratios.mergedBatch8),
    // Forgetting: trained minus base causal-LM loss (nats/token) on the held-out sample.
    forgettingLoss: f && f.delta !== null ? n(f.delta) : null,
    forgettingBaseLoss: f && f.delta !== null ? n(f.baseLoss) : null,
    forgettingAdaptedLoss: f && f.delta !== null ? n(f.adaptedLoss) : null,
    forgettingNote: !f ? 'not measured' : f.delta === null ? f.reason : (f.source ?? null),
  };
}
