// `peft-lab train --set key=value`, the method's part: its settings are the method's declared
// hyperparameters (engine names, `@peft-lab/engine/methods`), checked here against their
// declared rules before anything loads, so a misspelt or out-of-range setting exits 2 naming it
// (adapters, prefix and prompt tuning used to ignore an unknown key).
import { describeRule, findHyperparameter, isValidValue, methodDeclaration, type MethodName } from '@peft-lab/engine/methods';
import { CliValidationError } from './errors.js';

/**
 * Checks every method setting (`methodSettings(settings.set)`: the keys that are not training
 * parameters) against `method`'s declaration.
 * @param parse how runTrainCommand reads a raw value (the engine's parseSetValue).
 * @throws CliValidationError with one `--set <key>: … (got <value>)` line per bad pair: not a
 *   setting of the method (listing its settings; a sweep spec's name says the engine's), or a
 *   value breaking its rule.
 */
export function checkMethodSettings(method: MethodName, set: Readonly<Record<string, string>>, parse: (raw: string) => unknown): void {
  const d = methodDeclaration(method);
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(set)) {
    const p = findHyperparameter(d, key);
    if (!p) {
      // seed is a training key for peft-lab train (it seeds the method too): not listed as the method's.
      const settings = d.hyperparameters.map((h) => h.name).filter((n) => n !== 'seed');
      const renamed = d.hyperparameters.find((h) => typeof h.sweep === 'object' && h.sweep.name === key);
      const hint = renamed ? `; ${key} is a sweep spec's name: here it is ${renamed.name}` : '';
      const own = settings.length ? `its settings: ${settings.join(', ')}` : `${method} takes no method settings`;
      problems.push(`--set ${key}: not a known setting (neither a training parameter nor one of ${method}'s${hint}; ${own}) (got ${raw})`);
      continue;
    }
    if (!isValidValue(p, parse(raw))) {
      const example = p.kind === 'string-list' ? ' (a comma-separated list, e.g. c_attn,c_fc, or JSON ["c_attn"])' : p.kind === 'int-list' ? ' (JSON, e.g. [1,2,3])' : '';
      problems.push(`--set ${key}: ${describeRule(p)}${example} (got ${raw})`);
    }
  }
  if (problems.length) throw new CliValidationError(problems);
}
