// Error → HTTP response mapping, JSON that survives BigInt, and the wrapper every
// route handler runs in. Errors from other packages are matched by their stable
// `code` (@peft-lab/errors): production builds minify class names.
import { ZodError } from 'zod';
import { requireToken } from './auth';
import { PeftLabError } from './errors';

export interface ErrorBody {
  error: string;
  issues?: string[];
}

type NamedError = Error & { code?: string; lines?: string[]; issues?: unknown };

// Matched on `code`, not the class name: production builds minify class names.
const CLIENT_ERROR_CODES: Record<string, number> = {
  BAD_REQUEST: 400, // app
  SPEC_INVALID: 400, // @peft-lab/sweeps SpecValidationError (.lines)
  SPEC_SYNTAX: 400, // @peft-lab/sweeps SpecSyntaxError
  TRIAL_EXPANSION: 400, // @peft-lab/sweeps TrialExpansionError
  INVALID_ARGUMENT: 400, // @peft-lab/db InvalidArgumentError
  INVALID_FIELD: 400, // @peft-lab/db InvalidFieldError (.lines: `maxTrials: …`, `value: must be a number`)
  SWEEP_RESOURCE: 400, // @peft-lab/db SweepResourceError (.lines: an unknown task or base model)
  REPORT_FORMAT_UNKNOWN: 400, // @peft-lab/report
  UNKNOWN_TASK: 400, // @peft-lab/data
  DATASET_INVALID: 400, // @peft-lab/data DatasetValidationError
  UNAUTHORIZED: 401,
  NOT_FOUND: 404, // app and @peft-lab/db NotFoundError
  TRIAL_FINISHED: 409, // @peft-lab/db TrialFinishedError
  SWEEP_STATE: 409, // @peft-lab/db SweepStateError (.lines: resume a running sweep, ask a spent budget)
  PAYLOAD_TOO_LARGE: 413,
  EXPORT_UNAVAILABLE: 422, // @peft-lab/export ExportUnavailableError (no such export of that trial: says why and what instead)
  SERVE_UNAVAILABLE: 502, // app ServeUnavailableError (the playground's serve API)
};

/** `a.b[2].c` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

export function zodIssueLines(err: ZodError): string[] {
  return err.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/** The status and body for any thrown value; unknown errors become a 500 that leaks nothing. */
export function errorToResponseParts(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof ZodError || (err as Error | undefined)?.name === 'ZodError') {
    const lines = zodIssueLines(err as ZodError);
    return { status: 400, body: { error: `invalid request: ${lines.join('; ')}`, issues: lines } };
  }
  const e = err as NamedError | undefined;
  if (e && typeof e === 'object' && typeof e.code === 'string') {
    const status = CLIENT_ERROR_CODES[e.code];
    if (status) {
      let issues = Array.isArray(e.lines) ? e.lines : Array.isArray(e.issues) ? (e.issues as string[]) : undefined;
      // Every 400 lists `path: rule` lines; a syntax error's path is the text it could not read.
      if (!issues && status === 400) {
        const where = e.code === 'SPEC_SYNTAX' ? ((e as { format?: string }).format ?? 'body') : 'body';
        issues = [`${where}: ${e.message.split('\n')[0]}`];
      }
      return { status, body: issues ? { error: e.message, issues } : { error: e.message } };
    }
    // Prisma "record not found".
    if (e.code === 'P2025') return { status: 404, body: { error: 'not found' } };
  }
  return { status: 500, body: { error: 'internal error' } };
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? (value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()) : value;
}

/** A JSON response; BigInt columns (artifact bytes) become numbers. */
export function json(data: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json; charset=utf-8');
  headers.set('cache-control', 'no-store');
  return new Response(JSON.stringify(data, bigintSafe), { ...init, headers });
}

export function errorResponse(err: unknown): Response {
  const { status, body } = errorToResponseParts(err);
  if (status >= 500) console.error('[api] internal error:', err);
  return json(body, { status });
}

export interface RouteContext<P extends Record<string, string> = Record<string, string>> {
  params: Promise<P>;
}

/**
 * Wraps a route handler: checks the token for mutating methods and maps every
 * thrown error to its response.
 * @example export const POST = route(async (req, { id }) => json(await cancel(id)));
 */
export function route<P extends Record<string, string> = Record<string, string>>(
  handler: (request: Request, params: P) => Promise<Response> | Response,
): (request: Request, ctx: RouteContext<P>) => Promise<Response> {
  return async (request, ctx) => {
    try {
      if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method.toUpperCase())) requireToken(request);
      const params = ctx?.params ? await ctx.params : ({} as P);
      return await handler(request, params);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

export { PeftLabError };
