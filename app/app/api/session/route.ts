// The dashboard's session when PEFT_LAB_TOKEN is set.
// GET    /api/session            → { required, unlocked } for this browser
// POST   /api/session { token }  → sets an httpOnly, SameSite=Strict cookie derived from the token
// DELETE /api/session            → clears it
// (Not wrapped in route(): unlocking must not itself need the session.)
import { z } from 'zod';
import { hasSession, sameSecret, SESSION_COOKIE, sessionValue } from '../../../lib/auth';
import { readJsonBody } from '../../../lib/body';
import { appEnv } from '../../../lib/env';
import { UnauthorizedError } from '../../../lib/errors';
import { errorResponse, json } from '../../../lib/responses';

export const dynamic = 'force-dynamic';

const unlockSchema = z.object({ token: z.string({ error: 'must be a string' }).min(1, 'must not be empty') });

function status(request: Request, unlocked?: boolean) {
  const required = !!appEnv().PEFT_LAB_TOKEN;
  return { required, unlocked: !required || (unlocked ?? hasSession(request)) };
}

export async function GET(request: Request): Promise<Response> {
  return json(status(request));
}

export async function POST(request: Request): Promise<Response> {
  try {
    const { token } = unlockSchema.parse(await readJsonBody(request));
    const expected = appEnv().PEFT_LAB_TOKEN;
    if (!expected) return json(status(request));
    if (!sameSecret(token, expected)) throw new UnauthorizedError('token: does not match PEFT_LAB_TOKEN');
    return json(status(request, true), {
      headers: { 'set-cookie': `${SESSION_COOKIE}=${sessionValue(expected)}; Path=/; HttpOnly; SameSite=Strict` },
    });
  } catch (err) {
    return errorResponse(err);
  }
}

export async function DELETE(request: Request): Promise<Response> {
  return json(status(request, false), { headers: { 'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` } });
}
