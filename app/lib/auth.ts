// Token check for mutating calls. Reads PEFT_LAB_TOKEN on every call (not at
// import) so a test or a restarted server with a new token takes effect.
import { timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from './errors';

/** @throws UnauthorizedError when PEFT_LAB_TOKEN is set and the request does not carry it as a Bearer token. */
export function requireToken(request: Request): void {
  const token = process.env.PEFT_LAB_TOKEN;
  if (!token) return;
  const header = request.headers.get('authorization') ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) throw new UnauthorizedError('Authorization: Bearer <token> required (PEFT_LAB_TOKEN is set)');
  const given = Buffer.from(m[1]);
  const expected = Buffer.from(token);
  // Constant-time compare so the token cannot be guessed byte by byte from response times.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UnauthorizedError('bearer token does not match PEFT_LAB_TOKEN');
}
