// POST /api/trials/[id]/cancel — 409 when the trial already finished.
import { TrialQueue } from '@peft-lab/db';
import { getDb } from '../../../../../lib/db';
import { json, route } from '../../../../../lib/responses';

export const dynamic = 'force-dynamic';

export const POST = route<{ id: string }>(async (_request, { id }) => {
  const result = await new TrialQueue(getDb()).cancelTrial(id);
  return json({ id, ...result });
});
