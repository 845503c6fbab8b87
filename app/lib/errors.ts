// Errors the API raises itself. Messages name the parameter and the bad value;
// `issues` holds one `path: rule` line per problem (what a 400 body lists).

import { PeftLabError } from '@peft-lab/errors';

export { PeftLabError };

/** The request is malformed: bad JSON, a bad query parameter, an unusable body. → 400 */
export class BadRequestError extends PeftLabError {
  constructor(readonly issues: string[], message = issues.join('; ')) {
    super('BAD_REQUEST', message);
  }
}

/** A mutating call without the right `Authorization: Bearer <PEFT_LAB_TOKEN>`. → 401 */
export class UnauthorizedError extends PeftLabError {
  constructor(message: string) {
    super('UNAUTHORIZED', message);
  }
}

/** A row named in the URL does not exist, or has nothing to serve. → 404 */
export class ApiNotFoundError extends PeftLabError {
  constructor(entity: string, id: string, detail = 'not found') {
    super('NOT_FOUND', `${entity} ${JSON.stringify(id)} ${detail}`);
  }
}

/** The body is larger than the route accepts. → 413 */
export class PayloadTooLargeError extends PeftLabError {
  constructor(limit: number) {
    super('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`);
  }
}

/** The serve API the playground calls could not be started or reached. → 502 */
export class ServeUnavailableError extends PeftLabError {
  constructor(message: string) {
    super('SERVE_UNAVAILABLE', message);
  }
}
