/**
 * One hyperparameter's search space as written in a spec — a single value, a
 * list of values, `{ choices: [...] }`, or a numeric range — with its checks
 * (which report `path: rule` issues) and its `Dimension` (enumerate for grid,
 * sample for random).
 */
import { describeRule, isValidValue, type HyperValue, type ParamDefinition } from './hyperparameters.js';
import type { Rng } from './prng.js';

export interface RangeSpec {
  min: number;
  max: number;
  /** linear: an additive step (grid points min, min+step, …); log: a multiplicative factor > 1. */
  step?: number;
  /** Default linear. */
  scale?: 'linear' | 'log';
  /** Default: the hyperparameter's own kind. */
  type?: 'int' | 'float';
}
export interface ChoicesSpec<T extends HyperValue = HyperValue> {
  choices: T[];
}
/** How a spec gives one hyperparameter. For list-valued ones (targetModules) a single value is itself a list of names. */
export type ParamInput<T extends HyperValue = HyperValue> = T | T[] | ChoicesSpec<T> | RangeSpec;

type Form =
  | { form: 'single'; value: unknown }
  | { form: 'values'; values: unknown[]; at: string | null }
  | { form: 'range'; range: Record<string, unknown> }
  | { form: 'invalid' };

export type IssueSink = (path: (string | number)[], message: string) => void;

const RANGE_KEYS = ['min', 'max', 'step', 'scale', 'type'];

export function showValue(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function classify(def: ParamDefinition, input: unknown): Form {
  if (Array.isArray(input)) {
    if (def.kind === 'string-list') {
      if (input.length > 0 && input.every((x) => Array.isArray(x))) return { form: 'values', values: input, at: null };
      return { form: 'single', value: input };
    }
    return { form: 'values', values: input, at: null };
  }
  if (input !== null && typeof input === 'object') {
    const obj = input as Record<string, unknown>;
    if ('choices' in obj) return Array.isArray(obj.choices) ? { form: 'values', values: obj.choices, at: 'choices' } : { form: 'invalid' };
    if ('min' in obj || 'max' in obj) return { form: 'range', range: obj };
    return { form: 'invalid' };
  }
  return { form: 'single', value: input };
}

const FORM_HINT = 'must be a value, a list of values, { choices: [...] } or a range { min, max, step?, scale?, type? }';

/** Reports every problem with `input` for `def` to `issue`, with paths relative to the parameter. */
export function checkParamInput(def: ParamDefinition, input: unknown, issue: IssueSink): void {
  const f = classify(def, input);
  if (f.form === 'invalid') {
    const obj = input as Record<string, unknown> | null;
    if (obj && typeof obj === 'object' && 'choices' in obj) issue(['choices'], `must be a list of values (got ${showValue(obj.choices)})`);
    else issue([], `${FORM_HINT} (got ${showValue(input)})`);
    return;
  }
  if (f.form === 'single') {
    if (!isValidValue(def, f.value)) issue([], `${describeRule(def)} (got ${showValue(f.value)})`);
    return;
  }
  if (f.form === 'values') {
    const base = f.at === null ? [] : [f.at];
    if (f.at !== null) {
      const extra = Object.keys(input as object).filter((k) => k !== 'choices');
      for (const k of extra) issue([k], 'not a field of choices (allowed: choices)');
    }
    if (f.values.length === 0) {
      issue(base, 'must list at least one value');
      return;
    }
    const seen = new Set<string>();
    f.values.forEach((v, i) => {
      if (!isValidValue(def, v)) issue([...base, i], `${describeRule(def)} (got ${showValue(v)})`);
      else if (seen.has(canonical(v))) issue([...base, i], `duplicate value ${showValue(v)}`);
      seen.add(canonical(v));
    });
    return;
  }
  checkRange(def, f.range, issue);
}

function checkRange(def: ParamDefinition, r: Record<string, unknown>, issue: IssueSink): void {
  if (def.kind !== 'int' && def.kind !== 'float') {
    issue([], `${describeRule(def)}; a range { min, max } only suits numeric hyperparameters`);
    return;
  }
  for (const k of Object.keys(r)) if (!RANGE_KEYS.includes(k)) issue([k], `not a field of a range (allowed: ${RANGE_KEYS.join(', ')})`);
  const scale = r.scale ?? 'linear';
  if (scale !== 'linear' && scale !== 'log') issue(['scale'], `must be linear or log (got ${showValue(r.scale)})`);
  const type = r.type ?? def.kind;
  if (type !== 'int' && type !== 'float') issue(['type'], `must be int or float (got ${showValue(r.type)})`);
  else if (def.kind === 'int' && type === 'float') issue(['type'], `must be int (${def.name} is an integer hyperparameter)`);
  const asInt = type === 'int';
  let boundsOk = true;
  for (const k of ['min', 'max'] as const) {
    if (r[k] === undefined) {
      issue([k], 'required in a range');
      boundsOk = false;
    } else if (!isValidValue(def, r[k], asInt)) {
      issue([k], `${describeRule(def)}${asInt && def.kind === 'float' ? ' and an integer (type int)' : ''} (got ${showValue(r[k])})`);
      boundsOk = false;
    }
  }
  if (boundsOk) {
    const min = r.min as number;
    const max = r.max as number;
    if (min > max) issue([], `range min ${min} is greater than max ${max}`);
    if (scale === 'log' && min <= 0) issue(['min'], `must be > 0 for a log-scale range (got ${min})`);
  }
  if (r.step !== undefined) {
    const step = r.step;
    if (typeof step !== 'number' || !Number.isFinite(step)) issue(['step'], `must be a number (got ${showValue(step)})`);
    else if (scale === 'log' && step <= 1) issue(['step'], `must be a factor > 1 for a log-scale range (got ${step})`);
    else if (scale !== 'log' && step <= 0) issue(['step'], `must be > 0 (got ${step})`);
    else if (scale !== 'log' && asInt && !Number.isInteger(step)) issue(['step'], `must be an integer for an int range (got ${step})`);
  }
}

/** Why grid search cannot enumerate this input (a continuous range), or null. Only call on checked input. */
export function gridProblem(def: ParamDefinition, input: unknown): string | null {
  const f = classify(def, input);
  if (f.form !== 'range') return null;
  const r = f.range as unknown as RangeSpec;
  if (r.min === r.max || r.step !== undefined) return null;
  const type = r.type ?? def.kind;
  if ((r.scale ?? 'linear') === 'log') return 'a log-scale range needs step (a factor > 1) for grid search; or use strategy random';
  if (type !== 'int') return 'a float range needs step for grid search; or use strategy random';
  return null;
}

/** The values a checked input allows, for grid (size, at) and random (sample) search. size is Infinity for a continuous range. */
export interface Dimension {
  readonly name: string;
  readonly size: number;
  at(i: number): HyperValue;
  sample(rng: Rng): HyperValue;
  /** Set when the spec gives a range { min, max, … } (read-only, for analysis): its bounds, scale, kind and step. Absent for a value or a list. */
  readonly range?: DimensionRange;
}

/** A range dimension's declaration, defaults applied (scale linear, type the hyperparameter's kind). */
export interface DimensionRange {
  readonly min: number;
  readonly max: number;
  readonly log: boolean;
  readonly int: boolean;
  /** linear: the additive step; log: the multiplicative factor; undefined: continuous (or every integer). */
  readonly step?: number;
}

/** Rounds away float noise from min + i·step (0.1 + 2·0.1 = 0.30000000000000004). */
function tidy(v: number): number {
  return Number(v.toPrecision(12));
}

/** Enumeration limit for log-step ranges, which are materialised. */
const MAX_LOG_POINTS = 100_000;

export function dimensionFor(def: ParamDefinition, input: unknown): Dimension {
  const name = def.name;
  const f = classify(def, input);
  if (f.form === 'single') {
    const v = f.value as HyperValue;
    return { name, size: 1, at: () => v, sample: () => v };
  }
  if (f.form === 'values') {
    const vs = f.values as HyperValue[];
    return { name, size: vs.length, at: (i) => vs[i], sample: (rng) => vs[rng.int(vs.length)] };
  }
  if (f.form !== 'range') throw new Error(`dimensionFor: unchecked input for ${name}`);
  const r = f.range as unknown as RangeSpec;
  const { min, max, step } = r;
  const isInt = (r.type ?? def.kind) === 'int';
  const log = (r.scale ?? 'linear') === 'log';
  const range: DimensionRange = { min, max, log, int: isInt, ...(step !== undefined ? { step } : {}) };
  if (min === max) return { name, size: 1, at: () => min, sample: () => min, range };
  if (step !== undefined && log) {
    const points: number[] = [];
    for (let v = min; v <= max * (1 + 1e-9); v *= step) {
      const p = isInt ? Math.round(v) : tidy(v);
      if (points[points.length - 1] !== p) points.push(p);
      if (points.length > MAX_LOG_POINTS) throw new Error(`range of ${name} has more than ${MAX_LOG_POINTS} points`);
    }
    return { name, size: points.length, at: (i) => points[i], sample: (rng) => points[rng.int(points.length)], range };
  }
  if (step !== undefined || isInt) {
    const s = step ?? 1;
    const size = Math.floor((max - min) / s + 1e-9) + 1;
    const at = (i: number): number => tidy(min + i * s);
    if (isInt && log) {
      // log-uniform over integers: floor of a log-uniform draw on [min, max + 1)
      return { name, size, at, sample: (rng) => Math.min(max, Math.floor(Math.exp(Math.log(min) + rng.next() * (Math.log(max + 1) - Math.log(min))))), range };
    }
    return { name, size, at, sample: (rng) => at(rng.int(size)), range };
  }
  const sample = (rng: Rng): number => {
    const u = rng.next();
    const v = log ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
    // 6 significant digits keep trial tables readable; clamp so rounding never leaves the range
    return Math.min(max, Math.max(min, Number(v.toPrecision(6))));
  };
  return { name, size: Infinity, at: () => min, sample, range };
}

/** Stable key of a value or configuration (object keys sorted), for de-duplication and grouping seeds. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
