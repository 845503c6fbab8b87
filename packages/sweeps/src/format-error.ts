/**
 * Turns zod issues into stable one-line messages `path: rule`, e.g.
 * `methods[1].space.r: must be an integer ≥ 1 (got 0)`. The API returns these
 * lines, the CLI prints them, the form shows each under its field.
 */
import type * as z from 'zod';
import { showValue } from './param-value.js';
import { TRAINING_PARAMETER_NAMES } from './hyperparameters.js';

/** `['methods', 1, 'space', 'r']` → `methods[1].space.r`; the root is `spec`. */
export function formatSpecPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? 'spec' : out;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object (a mapping of fields)',
};

type Issue = z.core.$ZodIssue & { input?: unknown };

function ruleFor(iss: Issue): string {
  const got = 'input' in iss && iss.input !== undefined ? ` (got ${showValue(iss.input)})` : '';
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'required';
      return `must be ${TYPE_NAMES[iss.expected] ?? iss.expected}${got}`;
    case 'too_small': {
      const min = Number(iss.minimum);
      if (iss.origin === 'array') return `must list at least ${min} item${min === 1 ? '' : 's'}`;
      if (iss.origin === 'string') return min <= 1 ? 'must not be empty' : `must be at least ${min} characters`;
      return `must be ${iss.inclusive ? '≥' : '>'} ${min}${got}`;
    }
    case 'too_big': {
      const max = Number(iss.maximum);
      if (iss.origin === 'array') return `must list at most ${max} items`;
      if (iss.origin === 'string') return `must be at most ${max} characters`;
      return `must be ${iss.inclusive ? '≤' : '<'} ${max}${got}`;
    }
    case 'invalid_value':
      return `must be one of ${iss.values.map((v) => String(v)).join(', ')}${got}`;
    case 'invalid_union': {
      const u = iss as Issue & { note?: string; discriminator?: string; options?: unknown[] };
      if (u.note === 'No matching discriminator' && u.discriminator) {
        const input = u.input as Record<string, unknown> | undefined;
        const value = input && typeof input === 'object' ? input[u.discriminator] : undefined;
        const expected = `expected one of ${(u.options ?? []).map(String).join(', ')}`;
        if (input === undefined || input === null || typeof input !== 'object') return `must be an object with a ${u.discriminator} field${got}`;
        return value === undefined ? `required (${expected})` : `unknown ${u.discriminator} ${showValue(value)} (${expected})`;
      }
      return iss.message;
    }
    default:
      return iss.message;
  }
}

/** One line per problem; an unknown-key issue gives one line per key. */
export function formatSpecError(error: z.ZodError | { issues: readonly z.core.$ZodIssue[] }): string[] {
  const lines: string[] = [];
  for (const raw of error.issues) {
    const iss = raw as Issue;
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) {
        let message = iss.message;
        // a training parameter put inside a method's space is the likeliest mistake: say where it goes
        if (iss.path[iss.path.length - 1] === 'space' && TRAINING_PARAMETER_NAMES.includes(key)) {
          message += `; ${key} is a training parameter: put it under training`;
        }
        lines.push(`${formatSpecPath([...iss.path, key])}: ${message}`);
      }
      continue;
    }
    lines.push(`${formatSpecPath(iss.path)}: ${ruleFor(iss)}`);
  }
  return [...new Set(lines)];
}
