/**
 * Random search: `count` distinct configurations PER ENTRY (each method entry
 * and the baseline), drawn from a mulberry32 stream seeded by
 * hash(strategy seed, entry key) — so the same seed gives the same trials on
 * every machine, and adding a method does not change the others' draws.
 * Lists and choices are drawn uniformly, linear ranges uniformly, log ranges
 * log-uniformly, stepped ranges uniformly over their grid points. An entry with
 * no more than `count` configurations in all (e.g. the baseline with fixed
 * training settings) gets each of them once, in grid order.
 */
import { canonical } from '../param-value.js';
import { createRng, hashSeed } from '../prng.js';
import { configurationCount, type SearchEntry } from '../search-space.js';
import { sampleEntryValues } from './sample.js';
import { TrialExpansionError } from '../errors.js';
import { toConfiguration, type Configuration } from './configuration.js';
import { gridConfigurations } from './grid.js';

export function randomConfigurations(entry: SearchEntry, count: number, seed: number): Configuration[] {
  if (configurationCount(entry) <= count) return [...gridConfigurations(entry)];
  const rng = createRng(hashSeed(`${seed}:${entry.key}`));
  const seen = new Set<string>();
  const out: Configuration[] = [];
  // rejection of repeats; there are more configurations than `count`, so this ends — the cap only guards a bug
  const maxDraws = 1000 * count + 10_000;
  for (let draw = 0; out.length < count; draw++) {
    if (draw >= maxDraws) throw new TrialExpansionError(`${entry.key}: found only ${out.length} distinct configurations of ${count} after ${maxDraws} draws`);
    const values = sampleEntryValues(entry, rng);
    const key = canonical(values);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(toConfiguration(entry, values));
  }
  return out;
}
