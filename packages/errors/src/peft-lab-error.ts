/**
 * The one base class of every error PEFT Lab throws on purpose. Each workspace's
 * `errors.ts` holds a few subclasses of it; callers (the API's status mapping, the
 * CLI's exit codes) match on `code`, never on the class name or `instanceof`
 * alone: Next's production build renames classes, and a bundle may carry its own
 * copy of this module.
 */

export interface PeftLabErrorOptions {
  /** The lower-level error this one explains (kept on `error.cause`). */
  cause?: unknown;
}

// Symbol.for is one registry per process, so two bundled copies of this module
// still brand their instances alike.
const BRAND = Symbol.for('@peft-lab/errors.PeftLabError');

export class PeftLabError extends Error {
  /** Stable UPPER_SNAKE identifier (`NOT_FOUND`, `SPEC_INVALID`…); the message is for people. */
  readonly code: string;

  /**
   * Convention: a subclass for bad user input (not a machine fault) sets the field
   * `readonly badInput = true`; the CLI then exits 2 instead of 1. It must be a
   * field, not a getter (TypeScript rejects an accessor overriding this property).
   */
  declare readonly badInput?: boolean;

  constructor(code: string, message: string, options?: PeftLabErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

// On the prototype, not the instance: the brand stays out of JSON and of `toEqual`.
Object.defineProperty(PeftLabError.prototype, BRAND, { value: true, enumerable: false });

/**
 * True for a PeftLabError from this module or from any other copy of it.
 * Structural: the brand every copy puts on its prototype, a string `code` and a
 * string `name` (whatever a minifier turned the class name into).
 */
export function isPeftLabError(x: unknown): x is PeftLabError {
  if (x instanceof PeftLabError) return true;
  if (typeof x !== 'object' || x === null) return false;
  const e = x as { [BRAND]?: unknown; code?: unknown; name?: unknown; message?: unknown };
  return e[BRAND] === true && typeof e.code === 'string' && typeof e.name === 'string' && typeof e.message === 'string';
}
