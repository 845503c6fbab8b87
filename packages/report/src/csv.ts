/**
 * CSV: one row per trial. Every hyperparameter, summary metric and
 * measurement gets its own column (union over all trials, empty where a trial
 * lacks it), so a spreadsheet or pandas can pivot without parsing JSON.
 * Numbers are written with full precision (String(n)) and string lists as
 * JSON, so parsing the file back yields the same values.
 */
import { stringify } from 'csv-stringify/sync';
import { COST_MEASURES } from './aggregate.js';
import { trialMetric, type HyperparameterValue, type ReportInput, type TrialInput } from './input.js';

/** How a hyperparameter value is written into a CSV cell (exported for parse-back checks). */
export function csvCell(v: HyperparameterValue | number | undefined): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return JSON.stringify(v);
  return String(v);
}

function union(lists: Iterable<string[]>, first: readonly string[] = []): string[] {
  const seen = new Set<string>();
  for (const l of lists) for (const k of l) seen.add(k);
  const fixed = first.filter((k) => seen.has(k));
  return [...fixed, ...[...seen].filter((k) => !fixed.includes(k)).sort()];
}

function durationS(t: TrialInput): string {
  if (!t.startedAt || !t.finishedAt) return '';
  const ms = Date.parse(t.finishedAt) - Date.parse(t.startedAt);
  return Number.isFinite(ms) ? String(ms / 1000) : '';
}

/** What a row lacks, in words (the CSV's way of stating missing data). */
function trialNote(t: TrialInput, metric: string): string {
  if (t.status !== 'completed') return `${t.status}${t.error ? `: ${t.error.split('\n')[0]}` : ''}; no final metrics`;
  const lacks: string[] = [];
  if (trialMetric(t, metric) === null) lacks.push(metric);
  if (!t.measurements) lacks.push('measurements');
  return lacks.length ? `completed without ${lacks.join(', ')}` : '';
}

export function renderCsv(input: ReportInput): string {
  const trials = [...input.trials].sort((a, b) => a.index - b.index);
  const hpKeys = union(trials.map((t) => Object.keys(t.hyperparameters)));
  const summaryKeys = union(trials.map((t) => Object.keys(t.summary ?? {})));
  const measureKeys = union(trials.map((t) => Object.keys(t.measurements ?? {})), COST_MEASURES);
  const metric = input.objective.metric;
  const header = [
    'trial_id',
    'index',
    'method',
    'label',
    ...hpKeys.map((k) => `hp.${k}`),
    'seed',
    'status',
    'backend',
    `objective.${metric}`,
    ...summaryKeys.map((k) => `summary.${k}`),
    ...measureKeys.map((k) => `measurements.${k}`),
    'started_at',
    'finished_at',
    'duration_s',
    'error',
    'note',
  ];
  const rows = trials.map((t) => [
    t.id,
    String(t.index),
    t.method,
    t.label ?? '',
    ...hpKeys.map((k) => csvCell(t.hyperparameters[k])),
    String(t.seed),
    t.status,
    t.backend ?? '',
    csvCell(trialMetric(t, metric) ?? undefined),
    ...summaryKeys.map((k) => csvCell(t.summary?.[k] ?? undefined)),
    ...measureKeys.map((k) => csvCell(t.measurements?.[k] ?? undefined)),
    t.startedAt ?? '',
    t.finishedAt ?? '',
    durationS(t),
    t.error ?? '',
    trialNote(t, metric),
  ]);
  return stringify([header, ...rows], { record_delimiter: 'unix' });
}
