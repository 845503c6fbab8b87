// POST /api/sweeps/[id]/cancel — queued trials cancelled now, running ones at their next heartbeat.
import { TrialQueue } from '@peft-lab/db';
import { getDb } from '../../../../../lib/db';
import { json, route } from '../../../../../lib/responses';

export const dynamic = 'force-dynamic';

export const POST = route<{ id: string }>(async (_request, { id }) => {
  const result = await new TrialQueue(getDb()).cancelSweep(id);
  return json({ id, ...result });
});
