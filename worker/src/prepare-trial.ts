// Everything a claimed trial needs before training: the sweep's spec, the base
// model with the task's head, tokenized examples, and the method attached.
import { attachPeft, checkTrainingMemory, estimateTrainingMemory, FrozenWeightCache, loadHfModel, normalizeHfConfig, readHfConfig, type HfTokenizer, type MetricName, type TokenExample } from '@peft-lab/engine';
import type { HeadKind, PeftAttachment, PeftMethodName, TransformerModel } from './engine-types.js';
import { resolveBaseModel, resolveTask, type Db, type Trial } from '@peft-lab/db';
import { isPeftLabError } from '@peft-lab/errors';
import { expandSweep, sweepObjective, validateSweepSpec, type EarlyStoppingRule, type SweepObjective, type SweepSpec } from '@peft-lab/sweeps';
import type { TaskInfo } from '@peft-lab/data';
import { TrialSetupError } from './errors.js';
import { asMethod, methodConfig, methodHyperparameters, trainingParams, type TrialTrainingParams } from './method-config.js';
import { loadResolvedTask } from './resolve.js';
import { tokenizeExamples } from './tokenize-task.js';

/** The sweep's objective (`sweepObjective` of @peft-lab/sweeps) and what the engine tracks as "best" for it. */
export interface Objective extends SweepObjective {
  engineMetric: MetricName;
}

export interface PreparedTrial {
  method: PeftMethodName;
  model: TransformerModel;
  attachment: PeftAttachment;
  tokenizer: HfTokenizer;
  head: HeadKind;
  trainData: TokenExample[];
  evalData: TokenExample[];
  training: TrialTrainingParams;
  objective: Objective;
  earlyStopping: EarlyStoppingRule;
  modelName: string;
  taskName: string;
  /** The base weights came from this worker's frozen-weight cache (an earlier trial read them). */
  reusedBaseWeights: boolean;
  dispose(): void;
}

export interface PrepareOptions {
  /** Held-out examples evaluated at each evaluation; default 256 (evaluation must stay cheaper than training). */
  maxEvalExamples?: number;
}

// The engine tracks one of its metrics as "best"; a loss is tracked through perplexity (monotone in it).
const ENGINE_METRIC: Record<string, MetricName> = {
  accuracy: 'accuracy', 'macro-f1': 'macro-f1', 'token-accuracy': 'token-accuracy', perplexity: 'perplexity', loss: 'perplexity',
};

function objectiveFor(spec: SweepSpec, task: TaskInfo): Objective {
  const o = sweepObjective(spec, { metric: task.metric, kind: task.kind });
  const engineMetric = ENGINE_METRIC[o.metric];
  if (!engineMetric) throw new TrialSetupError('objective.metric', spec.objective?.metric ?? o.metric, `expected one of ${Object.keys(ENGINE_METRIC).join(', ')} (or eval_loss, f1)`);
  return { ...o, engineMetric };
}

/**
 * The base checkpoint's frozen weights, read once per worker process and shared by its trials
 * (all but full fine-tuning, which trains its own copy): a sweep's trials then reload nothing,
 * and one trial's weights are never freed while the next one's are read. The last checkpoint
 * stays loaded between trials; another one, or a full fine-tuning trial (which
 * needs the room for its own copy), replaces it.
 */
const frozenWeights = new FrozenWeightCache();

/**
 * Estimates the trial's training memory from config.json alone and fails it with an
 * InsufficientMemoryError naming the model, its parameter count, the method, the estimate and
 * what is available when it does not fit — before loading, instead of an OOM kill mid-load or
 * mid-step. The method config is the one attached later (sizes only: prompt init text is not
 * tokenized here); batches are at most batchSize × min(maxSeqLen, positions) tokens.
 */
function checkMemory(
  modelRef: { name: string; dir: string }, head: HeadKind, numLabels: number | undefined, method: PeftMethodName,
  hp: Record<string, unknown>, seed: number, training: TrialTrainingParams,
): void {
  const config = normalizeHfConfig(readHfConfig(modelRef.dir));
  if (numLabels !== undefined) config.numLabels = numLabels;
  let mc: Record<string, unknown>;
  try {
    mc = methodConfig(method, methodHyperparameters(hp), seed, () => [0]);
  } catch (err) {
    if (isPeftLabError(err)) return; // a bad hyperparameter fails the trial below, with its own message
    throw err;
  }
  let estimate;
  try {
    estimate = estimateTrainingMemory({
      config, head, method, methodConfig: mc, batchSize: training.batchSize,
      seqLen: Math.min(training.maxSeqLen, config.maxPositions), gradientCheckpointing: training.gradientCheckpointing === true, checkpoints: true,
    });
  } catch (err) {
    // Likewise a config the method refuses (a LoRA target the model lacks, r = 0): attachPeft reports it.
    if (isPeftLabError(err) || (err as Error).name === 'ZodError') return;
    throw err;
  }
  checkTrainingMemory(estimate, { model: `${modelRef.name} (${modelRef.dir})`, resident: frozenWeights.residentBytes(modelRef.dir) });
}

/** Tokenized splits, cached per (task, model dir, length): a worker runs many trials of one sweep. */
const tokenized = new Map<string, { train: TokenExample[]; eval: TokenExample[] }>();

export async function prepareTrial(db: Db, trial: Trial, opts: PrepareOptions = {}): Promise<PreparedTrial> {
  const sweep = await db.sweep.findUnique({ where: { id: trial.sweepId } });
  if (!sweep) throw new TrialSetupError('trial.sweepId', trial.sweepId, 'sweep not found');
  const spec = validateSweepSpec(sweep.spec);
  const method = asMethod(trial.method);
  const hp = trial.hyperparameters as Record<string, unknown>;
  const expanded = hp.training ? undefined : expandSweep(spec)[trial.index];
  const training = trainingParams(hp, expanded && expanded.method === method ? expanded.training : undefined);

  const modelRef = await resolveBaseModel(db, spec.baseModel, sweep.baseModelId);
  const taskRef = await resolveTask(db, sweep.task, sweep.datasetId);
  const task = await loadResolvedTask(db, taskRef);
  const head = task.info.kind as HeadKind;
  const objective = objectiveFor(spec, task.info);
  const numLabels = head === 'causal-lm' ? undefined : task.info.labels.length;

  const pooling = head === 'sequence-classification' ? training.pooling : undefined;
  checkMemory(modelRef, head, numLabels, method, hp, trial.seed, training);
  if (method === 'full') frozenWeights.clear();
  const reusedBaseWeights = method !== 'full' && frozenWeights.residentBytes(modelRef.dir) > 0;
  const { model, tokenizer } = loadHfModel(modelRef.dir, {
    head, numLabels, seed: trial.seed, pooling, frozenWeights: method === 'full' ? undefined : frozenWeights,
  });
  let attachment: PeftAttachment | undefined;
  try {
    if (!tokenizer) throw new TrialSetupError('baseModel', modelRef.name, `${modelRef.dir} has no tokenizer.json`);
    const maxLength = Math.min(training.maxSeqLen, model.config.maxPositions ?? training.maxSeqLen);
    // Only as many training examples as the run can use (maxSteps · batch), in the
    // split's stored (seeded hash) order, so the subset is stable across workers.
    const need = training.maxSteps !== undefined ? training.maxSteps * training.batchSize : undefined;
    const key = `${taskRef.key}|${modelRef.dir}|${maxLength}|${need ?? 'all'}`;
    let data = tokenized.get(key);
    if (!data) {
      const trainEx = task.splits.train.slice(0, need);
      const evalSplit = task.splits.validation.length ? task.splits.validation : task.splits.test;
      const evalEx = evalSplit.slice(0, opts.maxEvalExamples ?? 256);
      data = {
        train: tokenizeExamples(trainEx, task.info.kind, task.info.labels, tokenizer, maxLength),
        eval: tokenizeExamples(evalEx, task.info.kind, task.info.labels, tokenizer, maxLength),
      };
      // Trials of one sweep share maxSteps·batch mostly; keep the cache small anyway.
      if (tokenized.size > 16) tokenized.clear();
      tokenized.set(key, data);
    }
    if (data.train.length === 0) throw new TrialSetupError('task', sweep.task, 'has no training examples after tokenization');
    const config = methodConfig(method, methodHyperparameters(hp), trial.seed, (t) => tokenizer.encode(t));
    try {
      attachment = attachPeft(model, method, config);
    } catch (err) {
      throw new TrialSetupError(`hyperparameters (${method})`, config, (err as Error).message, { cause: err });
    }
    const att = attachment;
    return {
      method, model, attachment: att, tokenizer, head, trainData: data.train, evalData: data.eval, training, objective,
      earlyStopping: spec.earlyStopping, modelName: modelRef.name, taskName: sweep.task, reusedBaseWeights,
      dispose: () => {
        att.dispose();
        model.dispose();
      },
    };
  } catch (err) {
    attachment?.dispose();
    model.dispose();
    throw err;
  }
}
