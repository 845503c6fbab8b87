/** Maps errors to the CLI's exit codes: 2 for bad input, 1 for everything else. */
export class BadInputError extends Error {
  override name = 'BadInputError';
}

const BAD_INPUT_NAMES = new Set([
  'BadInputError',
  'SpecValidationError',
  'DatasetValidationError',
  'ZodError',
  'NotFoundError',
  'ConfigError',
  'ShapeMismatchError',
]);

export function isBadInput(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // Error classes from other packages are matched by name so this package
  // does not import every package's errors.ts.
  if (BAD_INPUT_NAMES.has(err.name) || BAD_INPUT_NAMES.has(err.constructor.name)) return true;
  return (err as { badInput?: boolean }).badInput === true;
}

export function exitCodeFor(err: unknown): 1 | 2 {
  return isBadInput(err) ? 2 : 1;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const issues = (err as { issues?: unknown }).issues;
    if (Array.isArray(issues) && issues.every((i) => typeof i === 'string')) {
      return `${err.message}\n  ${issues.join('\n  ')}`;
    }
    return err.message;
  }
  return String(err);
}
