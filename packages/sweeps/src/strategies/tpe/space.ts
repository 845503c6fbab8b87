/**
 * How TPE models each dimension of a search entry, from the spec's input for it:
 *
 * - a range (continuous float, linear or log): a numeric space on [min, max], log ranges in log
 *   space (Optuna's FloatDistribution(log=…));
 * - an integer range, or a linear range with step: numeric with that step (Optuna's discrete
 *   handling: kernels on [low − step/2, high + step/2], draws rounded to the step);
 * - a log range with step (a factor): its points are evenly spaced in log space, so TPE models
 *   their index — log(value) up to an affine map, to which the estimator is invariant;
 * - a list, `{ choices }`, a bool or a string list: a categorical over the dimension's values
 *   (index i ↔ `dim.at(i)`), as Optuna's suggest_categorical;
 * - a single value: fixed, never modelled.
 */
import type { HyperValue } from '../../hyperparameters.js';
import type { SearchDimension, SearchEntry } from '../../search-space.js';
import type { SweepSpec } from '../../spec.js';
import { canonical, type Dimension, type RangeSpec } from '../../param-value.js';
import type { ParamSpace } from './parzen-estimator.js';

export interface TpeDimension {
  readonly dim: Dimension;
  /** null: a single value (`dim.at(0)`), nothing to sample. */
  readonly space: ParamSpace | null;
  /** A trial's value as the estimator sees it; null when it is not in this space (spec changed). */
  toModel(value: HyperValue): number | null;
  /** A draw from the estimator back to a trial value. */
  fromModel(x: number): HyperValue;
}

function isRange(input: unknown): input is RangeSpec {
  return input !== null && typeof input === 'object' && !Array.isArray(input) && !('choices' in input) && ('min' in input || 'max' in input);
}

/** Continuous draws keep 6 significant digits, as random search's do (readable trial tables). */
function tidyFloat(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Number(x.toPrecision(6))));
}

export function tpeDimension(d: SearchDimension, input: unknown): TpeDimension {
  const { dim } = d;
  const fixed = { dim, space: null, toModel: () => 0, fromModel: () => dim.at(0) };
  if (dim.size === 1) return fixed;
  if (!isRange(input)) {
    const keys = Array.from({ length: dim.size }, (_, i) => canonical(dim.at(i)));
    return {
      dim,
      space: { type: 'categorical', choices: dim.size },
      toModel: (v) => {
        const i = keys.indexOf(canonical(v));
        return i < 0 ? null : i;
      },
      fromModel: (x) => dim.at(x),
    };
  }
  const { min, max, step } = input;
  const isInt = (input.type ?? d.def.kind) === 'int';
  const log = input.scale === 'log';
  const num = (v: HyperValue): number | null => (typeof v === 'number' && v >= min && v <= max ? v : null);
  if (log && step !== undefined) {
    const logs = Array.from({ length: dim.size }, (_, i) => Math.log(dim.at(i) as number));
    return {
      dim,
      space: { type: 'numeric', low: 0, high: dim.size - 1, log: false, step: 1 },
      toModel: (v) => {
        if (num(v) === null) return null;
        const lv = Math.log(v as number);
        let best = 0;
        for (let i = 1; i < logs.length; i++) if (Math.abs(logs[i] - lv) < Math.abs(logs[best] - lv)) best = i;
        return best;
      },
      fromModel: (x) => dim.at(Math.round(x)),
    };
  }
  if (step !== undefined) {
    const high = dim.at(dim.size - 1) as number;
    return {
      dim,
      space: { type: 'numeric', low: min, high, log: false, step },
      toModel: num,
      fromModel: (x) => dim.at(Math.min(dim.size - 1, Math.max(0, Math.round((x - min) / step)))),
    };
  }
  if (isInt) return { dim, space: { type: 'numeric', low: min, high: max, log, step: 1 }, toModel: num, fromModel: (x) => Math.round(x) };
  return { dim, space: { type: 'numeric', low: min, high: max, log, step: null }, toModel: num, fromModel: (x) => tidyFloat(x, min, max) };
}

/**
 * Per entry, the spec's input of each dimension (what `searchEntries` made it from: the method
 * entry's space, its training overrides over the sweep's training, else the default).
 */
export function searchInputs(spec: SweepSpec, entries: readonly SearchEntry[]): Record<string, unknown>[] {
  return entries.map((e) => {
    const m = e.entry === null ? undefined : spec.methods[e.entry];
    const training: Record<string, unknown> = { ...(spec.training as Record<string, unknown>) };
    for (const [k, v] of Object.entries(m?.training ?? {})) if (v !== undefined) training[k] = v;
    const out: Record<string, unknown> = {};
    for (const d of e.dims) {
      const given = d.group === 'method' ? (m?.space as Record<string, unknown> | undefined)?.[d.def.name] : training[d.def.name];
      out[d.def.name] = given !== undefined ? given : d.def.default;
    }
    return out;
  });
}
