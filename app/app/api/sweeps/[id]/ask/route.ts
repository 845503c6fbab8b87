// POST /api/sweeps/[id]/ask — body `{ leaseMs? }` (optional): the next suggestion of an external
// (ask-and-tell) sweep, reserved (askTrial). 404 unknown sweep, 409 not external / budget spent /
// everything reserved, 400 a bad leaseMs.
import { askTrial } from '@peft-lab/db';
import { getDb } from '../../../../../lib/db';
import { readOptionalObjectBody } from '../../../../../lib/body';
import { BadRequestError } from '../../../../../lib/errors';
import { json, route } from '../../../../../lib/responses';

export const dynamic = 'force-dynamic';

export const POST = route<{ id: string }>(async (request, { id }) => {
  const body = await readOptionalObjectBody(request);
  const extra = Object.keys(body).filter((k) => k !== 'leaseMs');
  if (extra.length) throw new BadRequestError(extra.map((k) => `${k}: not a field of an ask (allowed: leaseMs)`));
  const trial = await askTrial(getDb(), id, { leaseMs: body.leaseMs as number | undefined });
  return json(trial, { status: 201, headers: { location: `/api/trials/${trial.trialId}` } });
});
