/**
 * The analysis sections of the Markdown and HTML reports, as plain strings: which
 * hyperparameters mattered (PED-ANOVA, `parameterImportance` of @peft-lab/sweeps) and the
 * optimisation history (best objective so far by trial index). Computed from the report
 * input's trials, so every export of the same sweep says the same.
 */
import {
  TRAINING_PARAMETER_NAMES,
  bestAtTrialCounts,
  bestSoFar,
  parameterImportance,
  parameterImportanceByMethod,
  type ImportanceResult,
  type ImportanceTrial,
} from '@peft-lab/sweeps';
import { METHOD_NAMES } from './aggregate.js';
import { MISSING, formatMetric } from './format-number.js';
import { trialMetric, type Method, type ReportInput } from './input.js';

export interface ImportanceTable {
  /** "All methods" or a method's label. */
  scope: string;
  /** Set when the scope has no numbers: "not enough trials: needs 11 completed, has 4". */
  message: string | null;
  header: string[];
  rows: string[][];
  /** Per row, the share in [0, 1] (for bars). */
  shares: number[];
  /** Varying parameters too few trials have to score them, as one sentence (null: none). */
  unscored: string | null;
}

export interface HistoryTable {
  header: string[];
  rows: string[][];
}

/** The sweep's search strategy as its spec names it (grid when it names none). */
export function sweepStrategy(input: ReportInput): string {
  const s = (input.sweep.spec as { strategy?: { type?: unknown } | string } | null)?.strategy;
  const type = typeof s === 'string' ? s : s?.type;
  return typeof type === 'string' ? type : 'grid';
}

const TRAINING = new Set(TRAINING_PARAMETER_NAMES);

/** A report trial in the stored layout importance reads: training parameters back under `training`. */
function importanceTrials(input: ReportInput): ImportanceTrial[] {
  return input.trials.map((t) => {
    const hp: Record<string, unknown> = {};
    const training: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(t.hyperparameters)) (TRAINING.has(k) ? training : hp)[k] = v;
    return { method: t.method, hyperparameters: { ...hp, training }, value: trialMetric(t, input.objective.metric), status: t.status };
  });
}

function table(scope: string, r: ImportanceResult): ImportanceTable {
  const header = ['Parameter', 'Importance', 'Trials with it (in top)'];
  if (!r.ok) return { scope, message: r.message, header, rows: [], shares: [], unscored: null };
  const rows = r.importances.map((p) => [p.param, `${(p.importance * 100).toFixed(1)} %`, `${p.trials} (${p.topTrials})`]);
  const unscored = r.unscored.length
    ? `Not scored, set in fewer than 2 trials: ${r.unscored.map((u) => `${u.param} (${u.trials})`).join(', ')}.`
    : null;
  return { scope, message: null, header, rows, shares: r.importances.map((p) => p.importance), unscored };
}

/** One table over all trials (the method is a parameter), then one per method over its own trials. */
export function importanceTables(input: ReportInput): ImportanceTable[] {
  const trials = importanceTrials(input);
  // the stored spec: each parameter on its declared range and scale (inferred from the trials when absent)
  const opts = { direction: input.objective.direction, spec: input.sweep.spec };
  return [
    table('All methods', parameterImportance(trials, opts)),
    ...parameterImportanceByMethod(trials, opts).map((m) => table(METHOD_NAMES[m.method as Method] ?? m.method, m.result)),
  ];
}

/** What the importance numbers are and where they come from (one sentence for both formats). */
export function importanceSource(input: ReportInput): string {
  const completed = input.trials.filter((t) => t.status === 'completed' && trialMetric(t, input.objective.metric) !== null).length;
  return `PED-ANOVA (as Optuna 5's PedAnovaImportanceEvaluator): how much each parameter's distribution in the top 10 % of trials by ${input.objective.metric} differs from its distribution over all completed trials (Pearson divergence of 1-D Parzen estimates), as a share of the total; from ${completed} completed trials of this sweep. A method's own parameters are named method.parameter and scored on the trials that have them, weighted by how many top trials have them.`;
}

/** Best objective so far after the first n trials (by index), at 1, 5, 10, 25, … and the last trial. */
export function historyTable(input: ReportInput): HistoryTable {
  const points = bestSoFar(input.trials.map((t) => ({ index: t.index, value: trialMetric(t, input.objective.metric), status: t.status })), input.objective.direction);
  return {
    header: ['Trials (by index)', `Best ${input.objective.metric} so far`],
    rows: bestAtTrialCounts(points).map((p) => [String(p.trials), p.best === null ? MISSING : formatMetric(p.best)]),
  };
}

export function historySource(input: ReportInput): string {
  return `Strategy ${sweepStrategy(input)}. The ${input.objective.direction === 'maximize' ? 'highest' : 'lowest'} ${input.objective.metric} among the first n trials in the order they were suggested (completed trials only).`;
}
