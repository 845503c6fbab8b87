/**
 * @peft-lab/sweeps — the sweep spec (one zod schema), its expansion into
 * trials (grid, random), and early-stopping rules. Pure: no database, engine,
 * clock or disk.
 */
export * from './errors.js';
export {
  METHOD_NAMES,
  METHOD_HYPERPARAMETERS,
  METHOD_DESCRIPTIONS,
  TRAINING_PARAMETERS,
  TRAINING_PARAMETER_NAMES,
  TRAINING_OVERRIDE_NAMES,
  describeRule,
  isValidValue,
  type MethodName,
  type ParamKind,
  type ParamDefinition,
  type HyperValue,
} from './hyperparameters.js';
export type { ParamInput, RangeSpec, ChoicesSpec } from './param-value.js';
export * from './spec.js';
export { formatSpecError, formatSpecPath } from './format-error.js';
export { countTrials, countTrialsByEntry, type EntryTrialCount } from './count.js';
export { expandSweep, type Trial, type TrialTraining } from './expand.js';
export { createRng, hashSeed, type Rng } from './prng.js';
export { describeSpecForm, type SpecFormDescription, type FieldDescription } from './form-description.js';
export * from './early-stopping/index.js';
export { trialRecords, trialRecord, TRIAL_BOOKKEEPING_KEYS, DEFAULT_MAX_ATTEMPTS, type TrialRecord } from './trial-records.js';
export {
  sweepObjective,
  sweepObjectives,
  objectiveValue,
  canonicalMetric,
  OBJECTIVE_METRICS,
  TASK_METRICS,
  COST_METRICS,
  type SweepObjective,
  type ObjectiveTask,
  type TrialResultRecord,
} from './objective.js';
export { suggestTrial, isAdaptive, type TrialOutcome, type TrialHistory } from './suggest.js';
export { sweepNotes } from './sweep-notes.js';
export {
  parameterImportance,
  parameterImportanceByMethod,
  trialParameters,
  searchSpaceDomains,
  storedSpecDomains,
  type ParamDomain,
  type ImportanceTrial,
  type ImportanceOptions,
  type ImportanceResult,
  type ParameterImportance,
  type MethodImportance,
} from './importance/index.js';
export { bestSoFar, bestAtTrialCounts, type HistoryTrial, type HistoryPoint } from './optimisation-history.js';
export { paretoFront2d, type TwoObjectivePoint } from './pareto-front.js';
