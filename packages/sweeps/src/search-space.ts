/**
 * A validated spec as the list of search entries the strategies walk: one per
 * method entry, plus the full fine-tuning baseline when the spec asks for it
 * and does not already list full. Each entry is a list of dimensions (the
 * method's hyperparameters, then the training parameters), defaults filled in.
 */
import { METHOD_HYPERPARAMETERS, TRAINING_PARAMETERS, type HyperValue, type MethodName, type ParamDefinition } from './hyperparameters.js';
import { dimensionFor, type Dimension } from './param-value.js';
import type { SweepSpec } from './spec.js';

export interface SearchDimension {
  readonly def: ParamDefinition;
  readonly dim: Dimension;
  readonly group: 'method' | 'training';
}

export interface SearchEntry {
  /** 'baseline' for the added full fine-tuning baseline, else `methods[i]`; also seeds random search per entry. */
  readonly key: string;
  /** Index into spec.methods; null for the added baseline. */
  readonly entry: number | null;
  readonly method: MethodName;
  readonly label?: string;
  readonly dims: readonly SearchDimension[];
}

function dimsOf(defs: readonly ParamDefinition[], given: Record<string, unknown>, group: SearchDimension['group']): SearchDimension[] {
  const out: SearchDimension[] = [];
  for (const def of defs) {
    let input = given[def.name];
    // of an exclusive pair, the default applies only when neither is given
    if (input === undefined && !(def.exclusiveWith && given[def.exclusiveWith] !== undefined)) input = def.default;
    if (input !== undefined) out.push({ def, dim: dimensionFor(def, input), group });
  }
  return out;
}

export function searchEntries(spec: SweepSpec): SearchEntry[] {
  const entries: SearchEntry[] = [];
  const sweepTraining = spec.training as Record<string, unknown>;
  if (spec.baseline === 'full' && !spec.methods.some((e) => e.method === 'full')) {
    entries.push({ key: 'baseline', entry: null, method: 'full', label: 'full fine-tuning (baseline)', dims: dimsOf(TRAINING_PARAMETERS, sweepTraining, 'training') });
  }
  spec.methods.forEach((e, i) => {
    const training = { ...sweepTraining, ...stripUndefined(e.training ?? {}) };
    entries.push({
      key: `methods[${i}]`,
      entry: i,
      method: e.method,
      label: e.label,
      dims: [...dimsOf(METHOD_HYPERPARAMETERS[e.method], e.space as Record<string, unknown>, 'method'), ...dimsOf(TRAINING_PARAMETERS, training, 'training')],
    });
  });
  return entries;
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The sweep's seeds: an explicit list, or a count n meaning 0..n-1. */
export function seedsOf(spec: SweepSpec): number[] {
  return Array.isArray(spec.seeds) ? [...spec.seeds] : Array.from({ length: spec.seeds }, (_, i) => i);
}

/** Whether `d` takes part in a configuration whose values so far are `partial`. */
export function applies(d: SearchDimension, partial: Record<string, HyperValue>): boolean {
  const w = d.def.appliesWhen;
  return !w || partial[w.param] === w.equals;
}

/**
 * Distinct configurations of an entry without enumerating them: a conditional
 * dimension multiplies only the branches of its controller where it applies.
 * Infinity when a continuous range is present.
 */
export function configurationCount(entry: SearchEntry): number {
  const dependents = new Map<string, SearchDimension[]>();
  for (const d of entry.dims) {
    const w = d.def.appliesWhen;
    if (w) dependents.set(w.param, [...(dependents.get(w.param) ?? []), d]);
  }
  let count = 1;
  for (const d of entry.dims) {
    if (d.def.appliesWhen) continue;
    const deps = dependents.get(d.def.name);
    if (!deps) {
      count *= d.dim.size;
      continue;
    }
    let branches = 0;
    for (let i = 0; i < d.dim.size; i++) {
      const v = d.dim.at(i);
      branches += deps.reduce((p, dep) => p * (dep.def.appliesWhen!.equals === v ? dep.dim.size : 1), 1);
    }
    count *= branches;
  }
  return count;
}
