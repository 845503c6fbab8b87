import type { HyperValue } from '../hyperparameters.js';
import type { Rng } from '../prng.js';
import { applies, type SearchEntry } from '../search-space.js';

/** One configuration of `entry` drawn as random search draws it (conditional dimensions only where they apply). */
export function sampleEntryValues(entry: SearchEntry, rng: Rng): Record<string, HyperValue> {
  const values: Record<string, HyperValue> = {};
  for (const d of entry.dims) if (applies(d, values)) values[d.def.name] = d.dim.sample(rng);
  return values;
}
