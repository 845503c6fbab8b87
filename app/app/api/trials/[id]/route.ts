// GET /api/trials/[id] — the trial row, its sweep's name, and its artifacts (without their bytes).
import { getTrialDetail } from '@peft-lab/db';
import { getDb } from '../../../../lib/db';
import { json, route } from '../../../../lib/responses';

export const dynamic = 'force-dynamic';

export const GET = route<{ id: string }>(async (_request, { id }) => {
  const { trial, sweep, artifacts, metricNames } = await getTrialDetail(getDb(), id);
  return json({
    ...trial,
    sweep,
    metricNames,
    artifacts: artifacts.map((a) => ({ ...a, downloadUrl: `/api/artifacts/${a.id}` })),
  });
});
