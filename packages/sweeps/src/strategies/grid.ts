/**
 * Grid search: the cartesian product of an entry's dimensions, last dimension
 * varying fastest (like itertools.product). A conditional dimension
 * (reparamHidden, initText) is only crossed where it applies, so no
 * configuration appears twice.
 */
import type { HyperValue } from '../hyperparameters.js';
import { applies, type SearchEntry } from '../search-space.js';
import { TrialExpansionError } from '../errors.js';
import { toConfiguration, type Configuration } from './configuration.js';

export function* gridConfigurations(entry: SearchEntry): Generator<Configuration> {
  const bad = entry.dims.find((d) => !Number.isFinite(d.dim.size));
  if (bad) throw new TrialExpansionError(`${entry.key}: ${bad.def.name} is a continuous range; grid search needs a step (validateSweepSpec reports this)`);
  const values: Record<string, HyperValue> = {};
  function* walk(i: number): Generator<Configuration> {
    if (i === entry.dims.length) {
      yield toConfiguration(entry, values);
      return;
    }
    const d = entry.dims[i];
    if (!applies(d, values)) {
      yield* walk(i + 1);
      return;
    }
    for (let k = 0; k < d.dim.size; k++) {
      values[d.def.name] = d.dim.at(k);
      yield* walk(i + 1);
    }
    delete values[d.def.name];
  }
  yield* walk(0);
}
