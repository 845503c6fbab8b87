// POST /api/sweeps/[id]/resume — body `{ maxTrials? }` (optional): a finished sweep's failed and
// cancelled trials re-queued as new attempts, an adaptive sweep's budget raised (resumeSweep).
// 404 unknown sweep, 409 still running / nothing to resume, 400 a bad maxTrials.
import { resumeSweep } from '@peft-lab/db';
import { getDb } from '../../../../../lib/db';
import { readOptionalObjectBody } from '../../../../../lib/body';
import { BadRequestError } from '../../../../../lib/errors';
import { json, route } from '../../../../../lib/responses';

export const dynamic = 'force-dynamic';

export const POST = route<{ id: string }>(async (request, { id }) => {
  const body = await readOptionalObjectBody(request);
  const extra = Object.keys(body).filter((k) => k !== 'maxTrials');
  if (extra.length) throw new BadRequestError(extra.map((k) => `${k}: not a field of a resume (allowed: maxTrials)`));
  // maxTrials as sent: resumeSweep names it and the value it refuses.
  return json(await resumeSweep(getDb(), id, { maxTrials: body.maxTrials as number | undefined }));
});
