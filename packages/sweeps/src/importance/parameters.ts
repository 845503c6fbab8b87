// A stored trial's parameters as importance sees them: the method itself, the method's
// hyperparameters (named `<method>.<name>`: LoRA's dropout and the adapter's are different
// knobs) and the training parameters (shared by every method, bare names: `lr`).
import { TRIAL_BOOKKEEPING_KEYS } from '../trial-records.js';
import type { ParamDomain } from './parzen.js';

/** A parameter value reduced to what a Parzen estimator reads: a number or a category. */
export type ParamScalar = number | string;

const BOOKKEEPING = new Set(TRIAL_BOOKKEEPING_KEYS);

/** A stored value as importance reads it: numbers, strings, booleans as "true"/"false", string lists joined with "+". */
export function scalar(v: unknown): ParamScalar | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join('+');
  return undefined;
}

/**
 * The parameters one trial had. A parameter that did not apply (LoRA's r on a prefix trial,
 * reparamHidden without reparameterize) is absent, not null: conditional parameters are
 * scored on the trials that have them.
 * @param hyperparameters as the queue stores them (method values, `training`, bookkeeping keys)
 */
export function trialParameters(method: string, hyperparameters: Record<string, unknown> | null | undefined): Map<string, ParamScalar> {
  const out = new Map<string, ParamScalar>([['method', method]]);
  for (const [k, v] of Object.entries(hyperparameters ?? {})) {
    if (BOOKKEEPING.has(k)) continue;
    const s = scalar(v);
    if (s !== undefined) out.set(`${method}.${k}`, s);
  }
  const training = hyperparameters?.training;
  if (training && typeof training === 'object') {
    for (const [k, v] of Object.entries(training as Record<string, unknown>)) {
      const s = scalar(v);
      if (s !== undefined) out.set(k, s);
    }
  }
  return out;
}

/** Numbers spanning this factor or more (all positive) are read on a log scale (lr, r), as the dashboard's parallel axes do. */
export const LOG_SPAN = 50;

/**
 * The domain of a parameter from the values its trials took (stored trials carry no search
 * space): numbers from their least to their greatest, categories as the distinct values in
 * sorted order. Null when the values take only one value (nothing to explain).
 */
export function domainOf(values: readonly ParamScalar[]): ParamDomain | null {
  const distinct = [...new Set(values.map((v) => (typeof v === 'number' ? `n:${v}` : `s:${v}`)))];
  if (distinct.length < 2) return null;
  if (values.every((v) => typeof v === 'number')) {
    const nums = values as number[];
    const low = Math.min(...nums);
    const high = Math.max(...nums);
    return { kind: 'numeric', log: low > 0 && high / low >= LOG_SPAN, integer: nums.every(Number.isInteger), low, high };
  }
  return { kind: 'categorical', choices: [...new Set(values.map(String))].sort() };
}
