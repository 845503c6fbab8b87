// Request bodies: size-limited, and malformed JSON is the caller's 400, never our 500.
import { BadRequestError, PayloadTooLargeError } from './errors';

export const MAX_BODY_BYTES = 1_000_000;

/** The raw text of a body, refusing more than `limit` bytes. */
export async function readBodyText(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  let text: string;
  try {
    text = await request.text();
  } catch {
    throw new BadRequestError(['body: could not be read']);
  }
  if (Buffer.byteLength(text) > limit) throw new PayloadTooLargeError(limit);
  return text;
}

/** Parses a JSON body. @throws BadRequestError (`body: not valid JSON …`) */
export async function readJsonBody(request: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readBodyText(request, limit);
  if (text.trim() === '') throw new BadRequestError(['body: empty (expected JSON)']);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError([`body: not valid JSON (${(err as Error).message.slice(0, 120)})`]);
  }
}

/** A JSON object body, or `{}` when the body is empty (routes whose fields are all optional). @throws BadRequestError */
export async function readOptionalObjectBody(request: Request, limit = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const text = await readBodyText(request, limit);
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError([`body: not valid JSON (${(err as Error).message.slice(0, 120)})`]);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestError([`body: must be a JSON object (got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body})`]);
  }
  return body as Record<string, unknown>;
}
