/**
 * Pretrains the built-in base model: a GPT-2 decoder (builtin-config.ts)
 * trained with the causal-LM loss on pretrainCorpus() tokenised by the
 * built-in tokenizer, packed into chunks of seqLen. Writes a Hugging Face
 * directory (config.json + model.safetensors, tokenizer files beside them)
 * through the engine's saveHfModel, plus pretraining-record.json.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  attachPeft, createModel, loadHfModel, evaluate, evaluateExamples, median, normalizeHfConfig, saveHfModel, selectBackend,
  trainTrial, type BackendInfo, type TokenExample,
} from '@peft-lab/engine';
import { pretrainCorpus, type PretrainDocument } from '../pretrain-corpus.js';
import { BUILTIN_MODEL_DIR, loadBuiltinTokenizer } from '../tokenizer/builtin-tokenizer.js';
import { END_OF_TEXT } from '../tokenizer/byte-level-bpe-tokenizer.js';
import { BUILTIN_MODEL_SIZE, builtinHfConfig } from './builtin-config.js';
import { packCorpus } from './packed-chunks.js';

export const pretrainOptionsSchema = z.object({
  /** Optimizer steps, or 'auto': as many as fit in maxMinutes at the speed measured here (see fitStepsToBudget). */
  steps: z.union([z.number().int().positive(), z.literal('auto')]).default(3000),
  outDir: z.string().min(1).default(BUILTIN_MODEL_DIR),
  seed: z.number().int().nonnegative().default(1),
  backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  batchSize: z.number().int().positive().default(16),
  lr: z.number().positive().default(2e-3),
  warmupSteps: z.number().int().nonnegative().optional(),
  weightDecay: z.number().nonnegative().default(0.01),
  gradClip: z.number().positive().default(1),
  /** Evaluate held-out perplexity every N steps (and before and after). */
  evalEvery: z.number().int().positive().default(250),
  heldOutFraction: z.number().gt(0).lt(1).default(0.03),
  /** Held-out chunks evaluated (the first N of the held-out stream): enough for a stable perplexity, cheap on CPU. */
  maxHeldOutChunks: z.number().int().positive().default(256),
  size: z.object({
    dModel: z.number().int().positive(),
    numLayers: z.number().int().positive(),
    numHeads: z.number().int().positive(),
    seqLen: z.number().int().min(2),
  }).default(BUILTIN_MODEL_SIZE),
  /** Stop (and still save) once training has run this long: keeps a loaded machine inside the budget. */
  maxMinutes: z.number().positive().optional(),
  /**
   * Continue from the weights in this Hugging Face directory (same size) instead of a random
   * init; its pretraining-record.json, if any, is kept in the new record as `continuedFrom`.
   */
  initFrom: z.string().min(1).optional(),
  /** The command line recorded in the record (default: this process's argv). */
  command: z.string().optional(),
});

export type PretrainOptions = z.input<typeof pretrainOptionsSchema> & {
  /** Override the corpus (tests use a few short documents). */
  documents?: PretrainDocument[];
  log?: (line: string) => void;
};

export interface PretrainingRecord {
  model: string;
  command: string;
  seed: number;
  backend: BackendInfo;
  config: Record<string, unknown>;
  parameters: number;
  safetensorsBytes: number;
  training: {
    steps: number; stepsPlanned: number; stepsFittedToBudget?: { steps: number; msPerStep: number; evalSeconds: number };
    status: string; reason?: string; batchSize: number; seqLen: number;
    lr: number; warmupSteps: number; schedule: string; optimizer: string; weightDecay: number; gradClip: number;
    tokensSeen: number; epochs: number; wallTimeSeconds: number; meanStepMs: number;
  };
  corpus: {
    source: string; trainDocuments: number; trainTokens: number; trainChunks: number;
    heldOutDocuments: string[]; heldOutTokens: number; heldOutChunksEvaluated: number; heldOutSeed: string;
  };
  heldOutPerplexity: { before: number; after: number; curve: { step: number; perplexity: number }[] };
  lossCurve: { step: number; loss: number; lr: number }[];
  finishedAt: string;
  /** The run these weights continued from (initFrom), its own record nested as it was. */
  continuedFrom?: PretrainingRecord;
}

/**
 * @example await pretrainBuiltinModel({ steps: 3000, backend: 'tensorflow' })  // writes builtin-model/
 */
export async function pretrainBuiltinModel(opts: PretrainOptions = {}): Promise<PretrainingRecord> {
  const { documents, log = (l: string) => console.log(l), ...rest } = opts;
  const o = pretrainOptionsSchema.parse(rest);
  if (o.steps === 'auto' && o.maxMinutes === undefined) throw new Error("steps 'auto' needs maxMinutes: the step count is fitted to that budget");
  const outDir = resolve(o.outDir);
  const backend = await selectBackend({ prefer: o.backend });
  const t0 = performance.now();

  const tokenizer = loadBuiltinTokenizer();
  const docs = documents ?? pretrainCorpus();
  const packed = packCorpus(docs, (t) => tokenizer.encode(t), {
    seqLen: o.size.seqLen, endOfText: tokenizer.specialTokenId(END_OF_TEXT), heldOutFraction: o.heldOutFraction,
  });
  if (packed.train.length === 0 || packed.heldOut.length === 0) {
    throw new Error(`pretraining corpus too small: ${packed.train.length} train / ${packed.heldOut.length} held-out chunks of ${o.size.seqLen} tokens`);
  }
  log(`tokenised ${docs.length} documents in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${packed.train.length} train chunks (${packed.trainTokens} tokens), ${packed.heldOut.length} held-out chunks from ${packed.heldOutDocuments.length} documents; backend ${backend.name}`);

  const hfConfig = builtinHfConfig(o.size);
  const model = o.initFrom ? loadHfModel(o.initFrom, { head: 'causal-lm' }).model : createModel(normalizeHfConfig(hfConfig), 'causal-lm', o.seed);
  // Read before saving: outDir may be initFrom itself.
  const previousRecord = o.initFrom && existsSync(join(o.initFrom, 'pretraining-record.json'))
    ? (JSON.parse(readFileSync(join(o.initFrom, 'pretraining-record.json'), 'utf8')) as PretrainingRecord) : undefined;
  model.config.extra.sourceConfig = hfConfig;
  const attachment = attachPeft(model, 'full', {});
  const trainData: TokenExample[] = packed.train.map((inputIds) => ({ inputIds }));
  const evalData: TokenExample[] = packed.heldOut.slice(0, o.maxHeldOutChunks).map((inputIds) => ({ inputIds }));
  const lossCurve: PretrainingRecord['lossCurve'] = [];
  const curve: { step: number; perplexity: number }[] = [];
  let window: number[] = [];
  try {
    const evalStart = performance.now();
    const before = await heldOutPerplexity(model, evalData, o.batchSize);
    const evalMs = performance.now() - evalStart;
    curve.push({ step: 0, perplexity: round(before, 2) });
    log(`held-out perplexity before: ${before.toFixed(1)}`);
    const fit = o.steps === 'auto' ? await fitStepsToBudget({ ...o, maxMinutes: o.maxMinutes! }, hfConfig, trainData, evalMs) : null;
    if (fit) log(`steps auto: ${fit.msPerStep.toFixed(0)} ms/step and ${(evalMs / 1000).toFixed(1)} s per evaluation measured → ${fit.steps} steps fit in ${o.maxMinutes} min`);
    const steps = fit?.steps ?? (o.steps as number);
    const warmupSteps = o.warmupSteps ?? Math.min(200, Math.round(0.05 * steps));
    const sampleEvery = Math.max(1, Math.floor(steps / 200));
    const trainStart = performance.now();
    const result = await trainTrial({
      model, attachment, task: 'causal-lm', metric: 'perplexity', trainData, evalData,
      lr: o.lr, weightDecay: o.weightDecay, warmupSteps, maxSteps: steps, batchSize: o.batchSize,
      evalEvery: o.evalEvery, checkpointEvery: 0, gradClip: o.gradClip, seed: o.seed, padTokenId: 1, latency: false,
      callbacks: {
        onStep: (step, info) => {
          window.push(info.loss);
          if (step % sampleEvery === 0 || step === steps) {
            lossCurve.push({ step, loss: round(mean(window), 4), lr: info.lr });
            window = [];
          }
          if (step % 50 === 0) log(`step ${step}/${steps} loss ${info.loss.toFixed(3)} lr ${info.lr.toExponential(2)} ${info.stepMs.toFixed(0)} ms/step, ${((performance.now() - trainStart) / 60000).toFixed(1)} min`);
        },
        onEval: (step, m) => {
          const ppl = m.perplexity ?? Math.exp(m.loss);
          curve.push({ step, perplexity: round(ppl, 2) });
          log(`eval @${step}: held-out perplexity ${ppl.toFixed(2)}`);
        },
        shouldStop: (step) => o.maxMinutes !== undefined && performance.now() - trainStart > o.maxMinutes * 60000 && step < steps,
      },
    });
    if (result.status === 'failed') throw new Error(`pretraining failed: ${result.reason}`);
    const after = result.finalEval?.perplexity ?? Math.exp(result.finalEval?.loss ?? NaN);
    if (curve[curve.length - 1]?.step !== result.steps) curve.push({ step: result.steps, perplexity: round(after, 2) });

    mkdirSync(outDir, { recursive: true });
    saveHfModel(model, null, outDir);
    // Outside the package directory the tokenizer must travel with the weights.
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
      if (!existsSync(join(outDir, f))) copyFileSync(join(BUILTIN_MODEL_DIR, f), join(outDir, f));
    }
    const record: PretrainingRecord = {
      model: `GPT-2 decoder (pre-LN), d ${o.size.dModel}, ${o.size.numLayers} layers, ${o.size.numHeads} heads, seq ${o.size.seqLen}, vocab ${hfConfig.vocab_size}`,
      command: o.command ?? process.argv.join(' '),
      seed: o.seed,
      backend,
      config: hfConfig,
      parameters: result.measurements.totalParams,
      safetensorsBytes: statSync(join(outDir, 'model.safetensors')).size,
      training: {
        steps: result.steps, stepsPlanned: steps, ...(fit ? { stepsFittedToBudget: fit } : {}), status: result.status,
        // The only caller-side stop is the time budget: say so instead of the loop's generic wording.
        reason: result.status === 'stopped' ? `time budget (maxMinutes ${o.maxMinutes}) reached at step ${result.steps}; the learning rate had not decayed to 0` : result.reason,
        batchSize: o.batchSize, seqLen: o.size.seqLen, lr: o.lr, warmupSteps,
        schedule: 'linear warmup then linear decay to 0', optimizer: 'AdamW (decoupled weight decay)',
        weightDecay: o.weightDecay, gradClip: o.gradClip,
        tokensSeen: result.steps * o.batchSize * o.size.seqLen,
        epochs: round((result.steps * o.batchSize) / trainData.length, 3),
        wallTimeSeconds: round((performance.now() - t0) / 1000, 1),
        meanStepMs: round(result.measurements.meanStepMs, 1),
      },
      corpus: {
        source: 'pretrainCorpus(): Brown + State of the Union train documents (no Moby Dick, no SpamAssassin, no validation/test text)',
        trainDocuments: packed.trainDocuments, trainTokens: packed.trainTokens, trainChunks: packed.train.length,
        heldOutDocuments: packed.heldOutDocuments, heldOutTokens: packed.heldOutTokens,
        heldOutChunksEvaluated: evalData.length, heldOutSeed: 'peft-lab/pretrain-held-out/v1',
      },
      heldOutPerplexity: { before: round(before, 2), after: round(after, 2), curve },
      lossCurve,
      finishedAt: new Date().toISOString(),
      ...(previousRecord ? { continuedFrom: previousRecord } : {}),
    };
    writeFileSync(join(outDir, 'pretraining-record.json'), JSON.stringify(record, null, 2) + '\n');
    log(`done: ${result.steps} steps in ${record.training.wallTimeSeconds} s; held-out perplexity ${record.heldOutPerplexity.before} → ${record.heldOutPerplexity.after}; wrote ${outDir}`);
    return record;
  } finally {
    attachment.dispose();
    model.dispose();
  }
}

/**
 * How many steps fit in `maxMinutes`: times a few steps of a throwaway model of the same
 * size on the real chunks (the run's own weights stay untouched), and leaves room for the
 * held-out evaluations (timed by the caller) and a 5 % margin for a noisy machine. The
 * schedule then decays to 0 inside the budget instead of being cut off mid-way.
 */
async function fitStepsToBudget(
  o: { maxMinutes: number; batchSize: number; evalEvery: number; seed: number; lr: number },
  hfConfig: Record<string, unknown>, trainData: TokenExample[], evalMs: number,
): Promise<{ steps: number; msPerStep: number; evalSeconds: number }> {
  const { msPerStep } = await medianStepMs(hfConfig, trainData.slice(0, 16 * o.batchSize), { batchSize: o.batchSize, lr: o.lr, seed: o.seed, modelSeed: o.seed + 1, steps: 12 });
  // Each step also pays its share of the evaluations every evalEvery steps, plus the final one.
  const budgetMs = o.maxMinutes * 60_000 * 0.95 - evalMs;
  const steps = Math.max(1, Math.floor(budgetMs / (msPerStep + evalMs / o.evalEvery)));
  return { steps, msPerStep: round(msPerStep, 1), evalSeconds: round(evalMs / 1000, 1) };
}

/**
 * Median ms per full-fine-tuning step of a fresh model of `hfConfig` on `data`, after 3
 * warm-up steps, and its parameter count: what `--steps auto` and `pretrain.ts --probe` time.
 */
export async function medianStepMs(
  hfConfig: Record<string, unknown>, data: TokenExample[],
  o: { batchSize: number; lr: number; seed: number; modelSeed: number; steps: number },
): Promise<{ msPerStep: number; params: number }> {
  const model = createModel(normalizeHfConfig(hfConfig), 'causal-lm', o.modelSeed);
  const attachment = attachPeft(model, 'full', {});
  const ms: number[] = [];
  try {
    await trainTrial({
      model, attachment, task: 'causal-lm', metric: 'perplexity', trainData: data,
      lr: o.lr, maxSteps: o.steps, batchSize: o.batchSize, seed: o.seed, padTokenId: 1, latency: false,
      callbacks: { onStep: (s, i) => { if (s > 3) ms.push(i.stepMs); } },
    });
    return { msPerStep: median(ms), params: [...model.weights.values()].reduce((n, v) => n + v.size, 0) };
  } finally {
    attachment.dispose();
    model.dispose();
  }
}

/** Token-level perplexity of `model` over `examples` (causal LM, next-token). */
export async function heldOutPerplexity(model: Parameters<typeof evaluate>[0], examples: TokenExample[], batchSize: number): Promise<number> {
  const m = await evaluateExamples(model, 'causal-lm', examples, { batchSize, padTokenId: 1 });
  return m.perplexity ?? Math.exp(m.loss);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const round = (x: number, digits: number) => Number(x.toFixed(digits));
