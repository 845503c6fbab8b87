import type { HyperValue } from '../hyperparameters.js';
import type { SearchEntry } from '../search-space.js';

/** One point of an entry's space: method hyperparameters and training parameters, kept apart. */
export interface Configuration {
  hyperparameters: Record<string, HyperValue>;
  training: Record<string, number>;
}

/** Splits a flat name → value map by dimension group, keeping the entry's dimension order. */
export function toConfiguration(entry: SearchEntry, values: Record<string, HyperValue>): Configuration {
  const c: Configuration = { hyperparameters: {}, training: {} };
  for (const d of entry.dims) {
    if (!(d.def.name in values)) continue;
    if (d.group === 'method') c.hyperparameters[d.def.name] = values[d.def.name];
    else c.training[d.def.name] = values[d.def.name] as number;
  }
  return c;
}
