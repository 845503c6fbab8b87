/**
 * The sweep spec: ONE zod schema, read from YAML or JSON, shared by the API,
 * the CLI, the worker and the dashboard form. Each method's `space` allows only
 * that method's hyperparameters (a discriminated union on `method`, one member
 * per registered method); the tables in hyperparameters.ts (from the engine's
 * method registry) say which, with bounds, defaults and help text.
 *
 * @example
 * const spec = parseSweepSpec(fs.readFileSync('examples/lora-rank-sweep.yaml', 'utf8'));
 * const trials = expandSweep(spec);
 */
import * as z from 'zod';
import { parse as parseYaml } from 'yaml';
import {
  METHOD_HYPERPARAMETERS,
  METHOD_NAMES,
  TRAINING_OVERRIDE_NAMES,
  TRAINING_PARAMETERS,
  findParam,
  type MethodName,
  type ParamDefinition,
} from './hyperparameters.js';
import { checkParamInput, dimensionFor, gridProblem, showValue, type ParamInput } from './param-value.js';
import { formatSpecError } from './format-error.js';
import { SpecSyntaxError, SpecValidationError } from './errors.js';
import { countTrials } from './count.js';
import { OBJECTIVE_METRICS, isObjectiveMetric } from './objective.js';
import { searchEntries, configurationCount, seedsOf } from './search-space.js';

type Sink = (path: (string | number)[], message: string) => void;

function param<T extends ParamInput>(def: ParamDefinition) {
  return z.custom<T>().check(
    z.superRefine((value, ctx) => checkParamInput(def, value, (path, message) => ctx.addIssue({ code: 'custom', path, message, input: value }))),
  );
}

/** A param group (a method's space or a training block): exclusive pairs, conditional parameters. */
function checkGroup(defs: readonly ParamDefinition[], obj: Record<string, unknown>, issue: Sink): void {
  for (const def of defs) {
    const given = obj[def.name] !== undefined;
    if (def.exclusiveWith && given && obj[def.exclusiveWith] !== undefined && def.name < def.exclusiveWith) {
      issue([def.name], `give ${def.name} or ${def.exclusiveWith}, not both`);
    }
    if (def.appliesWhen) {
      const ctrl = findParam(defs, def.appliesWhen.param)!;
      const dim = dimensionFor(ctrl, obj[ctrl.name] ?? ctrl.default);
      const values = Array.from({ length: dim.size }, (_, i) => dim.at(i));
      const canApply = values.includes(def.appliesWhen.equals);
      const when = `${ctrl.name} is ${showValue(def.appliesWhen.equals)}`;
      if (given && !canApply) issue([def.name], `only used when ${when}`);
      if (!given && canApply && def.default === undefined && def.unsetMeans === undefined) issue([def.name], `required when ${when}`);
    }
  }
}

/**
 * zod runs object-level checks even after a field reported a (non-fatal) custom
 * issue; cross-field checks assume valid fields, so they wait for a clean object.
 */
const onlyIfValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

function closedObject<S extends z.ZodRawShape>(shape: S, unknownKeyMessage: string) {
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? unknownKeyMessage : undefined) });
}

function spaceSchema<S extends z.ZodRawShape>(method: MethodName, shape: S) {
  const defs = METHOD_HYPERPARAMETERS[method];
  const allowed = defs.map((d) => d.name);
  const msg =
    allowed.length === 0
      ? `not a hyperparameter of ${method} (${method} has no method-specific hyperparameters)`
      : `not a hyperparameter of ${method} (allowed: ${allowed.join(', ')})`;
  return closedObject(shape, msg).check(
    z.superRefine((obj, ctx) => checkGroup(defs, obj as Record<string, unknown>, (path, message) => ctx.addIssue({ code: 'custom', path, message })), onlyIfValid),
  );
}

const t = (name: string): ParamDefinition => findParam(TRAINING_PARAMETERS, name)!;
type Num = ParamInput<number>;
type Str = ParamInput<string>;
type Bool = ParamInput<boolean>;

/** A method's space: one optional field per declared sweep hyperparameter, each checked against its definition. */
function methodSpaceSchema(method: MethodName) {
  const shape = Object.fromEntries(METHOD_HYPERPARAMETERS[method].map((def) => [def.name, param<ParamInput>(def).optional()]));
  return spaceSchema(method, shape as Record<string, z.ZodOptional<z.ZodCustom<ParamInput, ParamInput>>>);
}

/** Every registered method's space schema. */
export const METHOD_SPACE_SCHEMAS = Object.fromEntries(METHOD_NAMES.map((method) => [method, methodSpaceSchema(method)])) as Record<MethodName, ReturnType<typeof methodSpaceSchema>>;
export const loraSpaceSchema = METHOD_SPACE_SCHEMAS.lora;
export const adapterSpaceSchema = METHOD_SPACE_SCHEMAS.adapter;
export const prefixSpaceSchema = METHOD_SPACE_SCHEMAS.prefix;
export const promptSpaceSchema = METHOD_SPACE_SCHEMAS.prompt;
export const fullSpaceSchema = METHOD_SPACE_SCHEMAS.full;

const trainingShape = {
  lr: param<Num>(t('lr')).optional(),
  epochs: param<Num>(t('epochs')).optional(),
  maxSteps: param<Num>(t('maxSteps')).optional(),
  batchSize: param<Num>(t('batchSize')).optional(),
  evalEvery: param<Num>(t('evalEvery')).optional(),
  warmupRatio: param<Num>(t('warmupRatio')).optional(),
  weightDecay: param<Num>(t('weightDecay')).optional(),
  gradClip: param<Num>(t('gradClip')).optional(),
  maxSeqLen: param<Num>(t('maxSeqLen')).optional(),
  gradientCheckpointing: param<Bool>(t('gradientCheckpointing')).optional(),
  pooling: param<Str>(t('pooling')).optional(),
};

/** The sweep-wide training block: every method trains with these unless its entry overrides them. */
export const trainingSpaceSchema = closedObject(
  trainingShape,
  `not a training parameter (allowed: ${TRAINING_PARAMETERS.map((p) => p.name).join(', ')})`,
).check(
  z.superRefine((obj, ctx) => {
    const n = (obj.epochs !== undefined ? 1 : 0) + (obj.maxSteps !== undefined ? 1 : 0);
    if (n !== 1) ctx.addIssue({ code: 'custom', path: [], message: `give exactly one of epochs or maxSteps (got ${n === 0 ? 'neither' : 'both'})` });
  }),
);

/** Per-method training overrides (e.g. a higher lr for LoRA than for full fine-tuning); the training length stays sweep-wide. */
export const trainingOverrideSchema = closedObject(
  { lr: trainingShape.lr, batchSize: trainingShape.batchSize, evalEvery: trainingShape.evalEvery, warmupRatio: trainingShape.warmupRatio, weightDecay: trainingShape.weightDecay, gradClip: trainingShape.gradClip, maxSeqLen: trainingShape.maxSeqLen, gradientCheckpointing: trainingShape.gradientCheckpointing, pooling: trainingShape.pooling },
  `not a per-method training parameter (allowed: ${TRAINING_OVERRIDE_NAMES.join(', ')}; epochs/maxSteps are set once for the sweep)`,
);

function entry<M extends MethodName, S extends z.ZodType>(method: M, space: S) {
  return closedObject(
    {
      method: z.literal(method),
      /** Optional display name, e.g. "LoRA on attention only", to tell two entries of one method apart. */
      label: z.string().min(1).optional(),
      space: space.default({} as never),
      training: trainingOverrideSchema.optional(),
    },
    'not a field of a method entry (allowed: method, label, space, training)',
  );
}

/** One member per registered method, in registry order. */
const METHOD_ENTRIES = METHOD_NAMES.map((method) => entry(method, METHOD_SPACE_SCHEMAS[method]));
export const methodEntrySchema = z.discriminatedUnion('method', METHOD_ENTRIES as unknown as [(typeof METHOD_ENTRIES)[number], ...(typeof METHOD_ENTRIES)[number][]]);

const seedInt = z.int().min(0).max(2 ** 31 - 1);

/** One entry of `objectives`: a metric the worker records (objective.ts says which) and its direction (default: the metric's natural one). */
const objectiveSchema = closedObject(
  {
    metric: z.string().min(1).check(
      z.refine((m) => isObjectiveMetric(m), { error: (iss) => `unknown metric ${showValue(iss.input)} (known: ${OBJECTIVE_METRICS.join(', ')})` }),
    ),
    direction: z.enum(['maximize', 'minimize']).optional(),
  },
  'not a field of an objective (allowed: metric, direction)',
);

export const strategySchema = z.discriminatedUnion('type', [
  closedObject({ type: z.literal('grid') }, 'not a field of a grid strategy (allowed: type)'),
  closedObject(
    { type: z.literal('random'), count: z.int().min(1), seed: seedInt.default(0) },
    'not a field of a random strategy (allowed: type, count, seed)',
  ),
  // Adaptive: trials are suggested one at a time from the finished ones (suggest.ts), up to budget.maxTrials.
  closedObject(
    {
      type: z.literal('tpe'),
      seed: seedInt.default(0),
      /** Trials drawn before the model takes over: first one per method entry (so the baseline always runs), then of a method at random; with several methods each also gets its initial-design share (methodDesignTrials) before it is modelled (strategies/tpe/sampler.ts). */
      startupTrials: z.int().min(1).default(10),
      /** Candidates drawn from the good-trials estimator; the one with the best l(x)/g(x) ratio is suggested. */
      candidates: z.int().min(1).max(10_000).default(24),
    },
    'not a field of a tpe strategy (allowed: type, seed, startupTrials, candidates)',
  ),
]);

export const earlyStoppingSchema = z.discriminatedUnion('type', [
  closedObject({ type: z.literal('none') }, 'not a field of earlyStopping none (allowed: type)'),
  closedObject(
    {
      type: z.literal('median'),
      /** The rule applies from this many evaluations on (warm-up). */
      afterEvals: z.int().min(1).default(2),
      /** At least this many other trials must have reached the evaluation before any trial is stopped. */
      minTrials: z.int().min(1).default(3),
    },
    'not a field of median early stopping (allowed: type, afterEvals, minTrials)',
  ),
  closedObject(
    {
      type: z.literal('asha'),
      /** Evaluations before the first rung. */
      minEvals: z.int().min(1).default(1),
      /** η: each rung keeps the top 1/η and spaces rungs η× further apart. */
      reductionFactor: z.int().min(2).default(3),
    },
    'not a field of asha early stopping (allowed: type, minEvals, reductionFactor)',
  ),
]);

export const sweepSpecSchema = closedObject(
  {
    name: z.string().min(1).max(200),
    description: z.string().optional(),
    /** 'builtin' or a registered model name / local checkpoint directory. */
    baseModel: z.string().min(1).default('builtin'),
    /** A built-in task name or an imported dataset name. */
    task: z.string().min(1),
    /** The metric early stopping and "best" use; when absent the worker uses the task's own metric. */
    objective: closedObject(
      { metric: z.string().min(1), direction: z.enum(['maximize', 'minimize']) },
      'not a field of objective (allowed: metric, direction)',
    ).optional(),
    /**
     * Several objectives (multi-objective search and Pareto analysis): the first is the
     * primary one (early stopping, "best"). Give this or `objective`, not both.
     */
    objectives: z.array(objectiveSchema).min(1).max(4).optional(),
    methods: z.array(methodEntrySchema).min(1),
    training: trainingSpaceSchema,
    /** Explicit seeds, or a count n meaning seeds 0..n-1; every configuration runs once per seed. */
    seeds: z
      .union([z.int().min(1).max(1000), z.array(seedInt).min(1)], {
        error: (iss) => `must be a count of seeds (an integer ≥ 1) or a list of seeds (integers ≥ 0) (got ${showValue(iss.input)})`,
      })
      .default(1),
    strategy: strategySchema.default({ type: 'grid' }),
    budget: closedObject(
      { maxTrials: z.int().min(1).optional(), maxParallel: z.int().min(1).optional() },
      'not a field of budget (allowed: maxTrials, maxParallel)',
    ).default({}),
    earlyStopping: earlyStoppingSchema.default({ type: 'none' }),
    /** 'full' adds a full fine-tuning baseline unless methods already include full. */
    baseline: z.enum(['full', 'none']).default('full'),
  },
  'not a field of a sweep spec (allowed: name, description, baseModel, task, objective, objectives, methods, training, seeds, strategy, budget, earlyStopping, baseline)',
).check(z.superRefine((spec, ctx) => crossCheck(spec as SweepSpec, (path, message) => ctx.addIssue({ code: 'custom', path, message })), onlyIfValid));

export type SweepSpec = z.output<typeof sweepSpecSchema>;
/** What a user may write (defaults not yet applied). */
export type SweepSpecInput = z.input<typeof sweepSpecSchema>;
export type MethodEntry = SweepSpec['methods'][number];
export type TrainingSpace = SweepSpec['training'];
export type TrainingOverrides = NonNullable<MethodEntry['training']>;
export type Strategy = SweepSpec['strategy'];
export type TpeStrategy = Extract<Strategy, { type: 'tpe' }>;
export type EarlyStoppingRule = SweepSpec['earlyStopping'];
export type MedianStoppingRule = Extract<EarlyStoppingRule, { type: 'median' }>;
export type AshaRule = Extract<EarlyStoppingRule, { type: 'asha' }>;
export type Budget = SweepSpec['budget'];
/** A method's space: its hyperparameters by spec name (METHOD_HYPERPARAMETERS[method] says which). */
export type MethodSpace = z.output<ReturnType<typeof methodSpaceSchema>>;
export type LoraSpace = MethodSpace;
export type AdapterSpace = MethodSpace;
export type PrefixSpace = MethodSpace;
export type PromptSpace = MethodSpace;

/** Checks across fields; runs once every field is valid on its own. */
function crossCheck(spec: SweepSpec, issue: Sink): void {
  if (Array.isArray(spec.seeds)) {
    const seen = new Set<number>();
    spec.seeds.forEach((s, i) => {
      if (seen.has(s)) issue(['seeds', i], `duplicate seed ${s}`);
      seen.add(s);
    });
  }
  if (spec.strategy.type === 'grid') {
    let problems = 0;
    const report = (defs: readonly ParamDefinition[], obj: Record<string, unknown> | undefined, path: (string | number)[]) => {
      for (const def of defs) {
        const problem = obj?.[def.name] === undefined ? null : gridProblem(def, obj[def.name]);
        if (problem) {
          problems++;
          issue([...path, def.name], problem);
        }
      }
    };
    report(TRAINING_PARAMETERS, spec.training, ['training']);
    spec.methods.forEach((e, i) => {
      report(METHOD_HYPERPARAMETERS[e.method], e.space as Record<string, unknown>, ['methods', i, 'space']);
      report(TRAINING_PARAMETERS, e.training, ['methods', i, 'training']);
    });
    // a grid over a continuous range has no count; the lines above already say which range
    if (problems > 0) return;
  }
  if (spec.objective && spec.objectives) issue(['objectives'], 'give objective or objectives, not both');
  if (spec.strategy.type === 'tpe') {
    checkAdaptive(spec, spec.strategy, issue);
    return;
  }
  const max = spec.budget.maxTrials;
  if (max !== undefined) {
    const n = countTrials(spec);
    if (n > max) issue(['budget', 'maxTrials'], `the sweep expands to ${n} trials, more than maxTrials ${max} (narrow the space, use fewer seeds or raise maxTrials)`);
  }
}

/** An adaptive sweep's budget is maxTrials; it must have something to search, one seed per trial. */
function checkAdaptive(spec: SweepSpec, strategy: TpeStrategy, issue: Sink): void {
  const max = spec.budget.maxTrials;
  if (max === undefined) issue(['budget', 'maxTrials'], `required for strategy ${strategy.type}: the number of trials to suggest`);
  else if (strategy.startupTrials > max) issue(['strategy', 'startupTrials'], `${strategy.startupTrials} startup trials is more than budget.maxTrials ${max}`);
  if (seedsOf(spec).length > 1) {
    issue(['seeds'], `strategy ${strategy.type} suggests one trial per configuration with one seed (got ${seedsOf(spec).length}); repeat the best configurations over seeds with a grid sweep`);
  }
  const entries = searchEntries(spec);
  if (entries.length === 1 && configurationCount(entries[0]) === 1) {
    issue(['strategy', 'type'], `${strategy.type} has nothing to search: one method entry with every hyperparameter fixed (give a list or a range, or more method entries)`);
  }
}

/**
 * Validates a plain object (already parsed from YAML/JSON, or built by the form).
 * @throws SpecValidationError with one `path: rule` line per problem.
 */
export function validateSweepSpec(obj: unknown): SweepSpec {
  const r = sweepSpecSchema.safeParse(obj, { reportInput: true });
  if (!r.success) throw new SpecValidationError(formatSpecError(r.error));
  return r.data;
}

/** Same as validateSweepSpec but returns the lines instead of throwing (for forms). */
export function checkSweepSpec(obj: unknown): { ok: true; spec: SweepSpec } | { ok: false; errors: string[] } {
  const r = sweepSpecSchema.safeParse(obj, { reportInput: true });
  return r.success ? { ok: true, spec: r.data } : { ok: false, errors: formatSpecError(r.error) };
}

/**
 * Parses YAML (the default; JSON is valid YAML too) or strict JSON, then validates.
 * @throws SpecSyntaxError for malformed text, SpecValidationError for a bad spec.
 */
export function parseSweepSpec(text: string, format: 'yaml' | 'json' = 'yaml'): SweepSpec {
  let obj: unknown;
  try {
    obj = format === 'json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new SpecSyntaxError(format, e instanceof Error ? e.message : String(e));
  }
  return validateSweepSpec(obj);
}
