// Token check for mutating calls. Asks appEnv() for PEFT_LAB_TOKEN on every call (not at
// import) so a test or a restarted server with a new token takes effect.
// Scripts send the token as a Bearer header; the dashboard's browser is unlocked once
// (POST /api/session) and then carries a session cookie derived from the token.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appEnv } from './env';
import { UnauthorizedError } from './errors';

export const SESSION_COOKIE = 'peft_lab_session';

/** The session cookie's value for a token: an HMAC, so the cookie never holds the token itself. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('peft-lab dashboard session').digest('hex');
}

/** Constant-time compare, so a secret cannot be guessed byte by byte from response times. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** True when this request carries a session cookie for the current PEFT_LAB_TOKEN. */
export function hasSession(request: Request): boolean {
  const token = appEnv().PEFT_LAB_TOKEN;
  const value = cookie(request, SESSION_COOKIE);
  return !!token && value !== undefined && sameSecret(value, sessionValue(token));
}

/**
 * @throws UnauthorizedError when PEFT_LAB_TOKEN is set and the request carries neither it as a
 *   Bearer token nor a dashboard session cookie for it.
 */
export function requireToken(request: Request): void {
  const token = appEnv().PEFT_LAB_TOKEN;
  if (!token) return;
  const header = (request.headers.get('authorization') ?? '').trim();
  if (!header) {
    if (hasSession(request)) return;
    throw new UnauthorizedError('Authorization: Bearer <token> required, or unlock the dashboard with the token (PEFT_LAB_TOKEN is set)');
  }
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (!m) throw new UnauthorizedError('Authorization: Bearer <token> required (PEFT_LAB_TOKEN is set)');
  if (!sameSecret(m[1], token)) throw new UnauthorizedError('bearer token does not match PEFT_LAB_TOKEN');
}
