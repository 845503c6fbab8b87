/**
 * Errors thrown by @peft-lab/sweeps. Messages name the field (as a spec path)
 * and the bad value, so the API, the CLI and the form can show them as is.
 */

import { PeftLabError } from '@peft-lab/errors';

export { PeftLabError };

/**
 * A sweep spec that does not satisfy the schema. `lines` holds one
 * `path: rule` line per problem, e.g. `methods[1].space.r: must be an integer ≥ 1 (got 0)`.
 */
export class SpecValidationError extends PeftLabError {
  readonly badInput = true;
  readonly lines: string[];
  constructor(lines: string[]) {
    super('SPEC_INVALID', `invalid sweep spec:\n  ${lines.join('\n  ')}`);
    this.lines = lines;
  }
}

/** The spec text is not well-formed YAML/JSON (before any schema check). */
export class SpecSyntaxError extends PeftLabError {
  readonly badInput = true;
  readonly format: 'yaml' | 'json';
  constructor(format: 'yaml' | 'json', detail: string) {
    super('SPEC_SYNTAX', `sweep spec is not valid ${format.toUpperCase()}: ${detail}`);
    this.format = format;
  }
}

/** A valid spec that still cannot be expanded (e.g. random sampling could not find enough distinct configurations). */
export class TrialExpansionError extends PeftLabError {
  readonly badInput = true;
  constructor(message: string) {
    super('TRIAL_EXPANSION', message);
  }
}

/** Bad arguments to an early-stopping decision (unknown rule, malformed history). */
export class EarlyStoppingInputError extends PeftLabError {
  constructor(message: string) {
    super('EARLY_STOPPING_INPUT', message);
  }
}
