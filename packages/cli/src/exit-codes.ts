// Errors → what the CLI prints and its exit code: 2 for bad input (a PeftLabError whose class
// sets `badInput`, @peft-lab/errors), 1 for everything else. Validation problems print as
// `path: rule` lines, one per problem, never as a zod issue dump.
import { isPeftLabError } from '@peft-lab/errors';
import { CliValidationError } from './errors.js';

interface ZodLikeIssue { path: readonly PropertyKey[]; message: string; code?: string; keys?: string[] }

/** A zod error (from any copy of zod): `issues` with paths and messages. */
function isZodError(err: unknown): err is Error & { issues: ZodLikeIssue[] } {
  return err instanceof Error && err.name === 'ZodError' && Array.isArray((err as { issues?: unknown }).issues);
}

/** `a.b[2].c` from a zod path; `prefix` names the input the path is inside (e.g. `--set `). */
function formatPath(path: readonly PropertyKey[], prefix: string): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return `${prefix}${out || '(root)'}`;
}

/** One `path: message` line per zod issue (an unknown key is named as the path). */
export function zodIssueLines(err: { issues: ZodLikeIssue[] }, prefix = ''): string[] {
  return err.issues.flatMap((i) => (i.code === 'unrecognized_keys' && i.keys?.length
    ? i.keys.map((k) => `${formatPath([...i.path, k], prefix)}: not a known setting`)
    : [`${formatPath(i.path, prefix)}: ${i.message}`]));
}

/** A zod error becomes a CliValidationError (bad input) with its lines; anything else is returned as is. */
export function asCliError(err: unknown, prefix = ''): unknown {
  return isZodError(err) ? new CliValidationError(zodIssueLines(err, prefix)) : err;
}

export function isBadInput(err: unknown): boolean {
  return isPeftLabError(err) && err.badInput === true;
}

export function exitCodeFor(err: unknown): 1 | 2 {
  return isBadInput(err) ? 2 : 1;
}

/** The text printed after `peft-lab: ` for an error (after asCliError). */
export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const issues = (e as { issues?: unknown }).issues;
    if (Array.isArray(issues) && issues.length && issues.every((i) => typeof i === 'string')) {
      return `${e.message}\n  ${issues.join('\n  ')}`;
    }
    return e.message;
  }
  return String(e);
}
