// POST /api/sweeps/[id]/trials/[trialId]/tell — body `{ value }`, `{ values: [...] }` (the sweep's
// objectives order), `{ failed: true, reason? }` or `{ pruned: true, value?, reason? }`: what an
// asked trial gave (tellTrial). 400 `value: must be a number` …, 404 unknown sweep or trial,
// 409 told already / reservation expired.
import { tellTrial } from '@peft-lab/db';
import { getDb } from '../../../../../../../lib/db';
import { readOptionalObjectBody } from '../../../../../../../lib/body';
import { BadRequestError } from '../../../../../../../lib/errors';
import { json, route } from '../../../../../../../lib/responses';

export const dynamic = 'force-dynamic';

const FIELDS = ['value', 'values', 'failed', 'pruned', 'reason'];

export const POST = route<{ id: string; trialId: string }>(async (request, { id, trialId }) => {
  const body = await readOptionalObjectBody(request);
  const extra = Object.keys(body).filter((k) => !FIELDS.includes(k));
  if (extra.length) throw new BadRequestError(extra.map((k) => `${k}: not a field of a tell (allowed: ${FIELDS.join(', ')})`));
  return json(await tellTrial(getDb(), id, trialId, body));
});
