/**
 * Serve errors: each carries the HTTP status the API answers with, and its message names the
 * field, the value and the limit, so a client sees what to change without reading server logs.
 */
import { PeftLabError } from '@peft-lab/errors';

/** Something a request got wrong; `status` is the 4xx the API answers with. */
export class ServeRequestError extends PeftLabError {
  readonly badInput = true;
  constructor(code: string, readonly status: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** 400: the body is not JSON, or a field is missing or of the wrong type. */
export class BadRequestError extends ServeRequestError {
  constructor(field: string, problem: string) {
    super('SERVE_BAD_REQUEST', 400, `${field}: ${problem}`);
  }
}

/** 401: PEFT_LAB_TOKEN is set and the request has no or another bearer token. */
export class UnauthorizedError extends ServeRequestError {
  constructor() {
    super('SERVE_UNAUTHORIZED', 401, 'Authorization: Bearer <PEFT_LAB_TOKEN> is required');
  }
}

/** 404: no adapter (or route) of that name. */
export class UnknownAdapterError extends ServeRequestError {
  constructor(readonly adapter: string, known: string[]) {
    super('SERVE_UNKNOWN_ADAPTER', 404, `adapter ${JSON.stringify(adapter)}: no such adapter on this server (adapters: ${known.join(', ') || 'none'}, and base; POST /v1/adapters to load one)`);
  }
}

/** 409: hot-loading a name that is taken. */
export class AdapterNameTakenError extends ServeRequestError {
  constructor(readonly adapter: string) {
    super('SERVE_ADAPTER_TAKEN', 409, `name: adapter ${JSON.stringify(adapter)} is already loaded (DELETE /v1/adapters/${encodeURIComponent(adapter)} first)`);
  }
}

/** 422: the adapter was trained for another base model (its config's base model, task or tensor shapes disagree), or cannot be read. */
export class AdapterMismatchError extends ServeRequestError {
  constructor(readonly adapter: string, problem: string, options?: { cause?: unknown }) {
    super('SERVE_ADAPTER_MISMATCH', 422, `adapter ${JSON.stringify(adapter)} does not fit the served base model: ${problem}`, options);
  }
}

/** 422: an adapter directory or artifact that is not a PEFT adapter this server loads. */
export class AdapterFormatError extends ServeRequestError {
  constructor(readonly adapter: string, problem: string, options?: { cause?: unknown }) {
    super('SERVE_ADAPTER_FORMAT', 422, `adapter ${JSON.stringify(adapter)}: ${problem}`, options);
  }
}

/** 413: a text has more tokens than the model (with this adapter's virtual tokens) takes. */
export class TextTooLongError extends ServeRequestError {
  constructor(index: number, tokens: number, limit: number) {
    super('SERVE_TEXT_TOO_LONG', 413, `texts[${index}]: ${tokens} tokens, the limit for this adapter on this model is ${limit}`);
  }
}
