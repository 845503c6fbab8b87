/**
 * Plain evaluation histories the early-stopping rules read: one point per
 * evaluation, in order. Rules compare trials at the same evaluation INDEX
 * (the k-th evaluation), which lines up when trials share evalEvery; with
 * evalEvery searched, compare by step in the caller or keep it fixed.
 */
import { EarlyStoppingInputError } from '../errors.js';

export interface EvalPoint {
  step: number;
  /** The objective metric at this evaluation; NaN = diverged. */
  value: number;
}
export type EvalHistory = readonly EvalPoint[];
export type MetricDirection = 'maximize' | 'minimize';

export interface StopDecision {
  stop: boolean;
  /** Why, in words a trial table can show ("accuracy 0.61 at evaluation 3 is below the median 0.70 of 5 trials"). */
  reason: string;
}

export function checkHistory(h: unknown, name: string): asserts h is EvalHistory {
  if (!Array.isArray(h)) throw new EarlyStoppingInputError(`${name} must be a list of { step, value } points (got ${typeof h})`);
  h.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || typeof p.value !== 'number' || typeof p.step !== 'number') {
      throw new EarlyStoppingInputError(`${name}[${i}] must be { step: number, value: number } (got ${JSON.stringify(p)})`);
    }
  });
}

export function checkDirection(d: unknown): asserts d is MetricDirection {
  if (d !== 'maximize' && d !== 'minimize') throw new EarlyStoppingInputError(`direction must be maximize or minimize (got ${JSON.stringify(d)})`);
}

/** The inputs every rule takes: this trial's history, the others', and the metric direction. */
export function checkRuleInputs(trialHistory: unknown, othersHistories: unknown, direction: unknown): void {
  checkHistory(trialHistory, 'trialHistory');
  if (!Array.isArray(othersHistories)) throw new EarlyStoppingInputError('othersHistories must be a list of histories');
  othersHistories.forEach((h, i) => checkHistory(h, `othersHistories[${i}]`));
  checkDirection(direction);
}

/** Sort key where larger is better and NaN is the worst possible. */
export function goodness(value: number, direction: MetricDirection): number {
  if (Number.isNaN(value)) return -Infinity;
  return direction === 'maximize' ? value : -value;
}

export function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
}
