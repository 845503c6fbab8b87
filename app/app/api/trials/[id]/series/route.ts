// GET /api/trials/[id]/series?names=train/loss,eval/accuracy&maxPoints=500 — downsampled on the server.
import { z } from 'zod';
import { ensureTrialExists, getTrialSeries } from '@peft-lab/db';
import { getDb } from '../../../../../lib/db';
import { csvList, intParam, parseQuery } from '../../../../../lib/query';
import { json, route } from '../../../../../lib/responses';

export const dynamic = 'force-dynamic';

const seriesQuery = z.strictObject({
  names: csvList(z.string().min(1).max(200)),
  maxPoints: intParam(1, 10_000, 500),
});

export const GET = route<{ id: string }>(async (request, { id }) => {
  const q = parseQuery(request.url, seriesQuery);
  const db = getDb();
  await ensureTrialExists(db, id);
  const series = await getTrialSeries(db, id, { names: q.names, maxPoints: q.maxPoints });
  return json({ trialId: id, maxPoints: q.maxPoints, series });
});
