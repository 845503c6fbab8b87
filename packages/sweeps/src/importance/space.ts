// Each parameter's domain from the sweep's spec, as Optuna reads it from a trial's distribution:
// a range is a numeric domain over its declared [min, max] on its declared scale (log or linear,
// int or float, a step's points), a list or `{ choices }` a categorical over the declared
// choices, the method a categorical over the spec's methods. Names as trialParameters gives them.
import type { HyperValue } from '../hyperparameters.js';
import { canonical, type DimensionRange } from '../param-value.js';
import { searchEntries } from '../search-space.js';
import { checkSweepSpec, type SweepSpec } from '../spec.js';
import type { ParamDomain } from './parzen.js';
import { domainOf, scalar, type ParamScalar } from './parameters.js';

/** One entry's declaration of a parameter: a range, or the values of a list (one for a single value). */
interface Declared {
  range?: DimensionRange;
  /** A range's first and last point (a step may stop short of max, a log step rounds); else the values. */
  values: HyperValue[];
  size: number;
}

function merge(decls: readonly Declared[]): ParamDomain | null {
  const ranges = decls.filter((d) => d.range);
  if (ranges.length === 0) {
    const choices = [...new Set(decls.flatMap((d) => d.values.map(scalar).filter((v) => v !== undefined).map(String)))];
    return choices.length > 1 ? { kind: 'categorical', choices } : null;
  }
  const nums = decls.flatMap((d) => d.values);
  if (!nums.every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
  const xs = nums as number[];
  const low = Math.min(...xs);
  const high = Math.max(...xs);
  if (!(high > low)) return null;
  const log = ranges.every((d) => d.range!.log) && low > 0;
  const integer = ranges.every((d) => d.range!.int) && xs.every(Number.isInteger);
  const domain: Extract<ParamDomain, { kind: 'numeric' }> = { kind: 'numeric', log, integer, low, high };
  // A step's grid (Optuna: round((high − low) / step) + 1 points; a log step: its points) holds
  // when one range declares the parameter everywhere.
  const one = new Set(decls.map((d) => canonical({ ...d.range, values: d.values })));
  const r = ranges[0].range!;
  if (one.size === 1 && ranges.length === decls.length && r.step !== undefined && r.log === log) {
    domain.steps = log ? ranges[0].size : Math.round((high - low) / r.step) + 1;
  }
  return domain;
}

/**
 * The domain of every parameter the spec searches, by the name importance gives it (`method`,
 * `<method>.<hyperparameter>`, a training parameter's bare name). A parameter declared by several
 * entries (two LoRA entries, the training block) covers all of their declarations.
 */
export function searchSpaceDomains(spec: SweepSpec): Map<string, ParamDomain> {
  const declared = new Map<string, Declared[]>();
  const add = (name: string, d: Declared) => declared.set(name, [...(declared.get(name) ?? []), d]);
  const entries = searchEntries(spec);
  for (const e of entries) {
    add('method', { values: [e.method], size: 1 });
    for (const { def, dim, group } of e.dims) {
      const name = group === 'method' ? `${e.method}.${def.name}` : def.name;
      if (dim.range && dim.size !== 1) {
        const last = Number.isFinite(dim.size) ? (dim.at(dim.size - 1) as number) : dim.range.max;
        add(name, { range: dim.range, values: [dim.at(0), last], size: dim.size });
      } else add(name, { values: Array.from({ length: dim.size }, (_, i) => dim.at(i)), size: dim.size });
    }
  }
  const out = new Map<string, ParamDomain>();
  for (const [name, decls] of declared) {
    const d = merge(decls);
    if (d) out.set(name, d);
  }
  return out;
}

/** searchSpaceDomains of a stored spec; null when it does not validate (a spec from an older schema): the caller infers. */
export function storedSpecDomains(spec: unknown): Map<string, ParamDomain> | null {
  if (spec === null || spec === undefined) return null;
  const r = checkSweepSpec(spec);
  return r.ok ? searchSpaceDomains(r.spec) : null;
}

/**
 * The declared domain, widened to the values the trials took when some lie outside it (trials
 * of an earlier spec, a value the spec's default filled in): a number below min or above max
 * stretches the range (a value ≤ 0 drops the log scale), an undeclared choice is appended.
 * Values of another kind than the domain's: the domain inferred from the values instead.
 */
export function coverValues(domain: ParamDomain, values: readonly ParamScalar[]): ParamDomain | null {
  if (domain.kind === 'categorical') {
    const missing = [...new Set(values.map(String))].filter((v) => !domain.choices.includes(v));
    return missing.length ? { kind: 'categorical', choices: [...domain.choices, ...missing.sort()] } : domain;
  }
  if (!values.every((v) => typeof v === 'number')) return domainOf(values);
  const xs = values as number[];
  const low = Math.min(domain.low, ...xs);
  const high = Math.max(domain.high, ...xs);
  if (low === domain.low && high === domain.high) return domain;
  const { steps: _grid, ...rest } = domain;
  return { ...rest, low, high, log: domain.log && low > 0, integer: domain.integer && xs.every(Number.isInteger) };
}
