// GET /api/sweeps — list (search, status, paging, newest first); POST /api/sweeps — create from a spec.
import { z } from 'zod';
import { sweepNotes } from '@peft-lab/sweeps';
import { listSweeps, SweepStatus, submitExternalSweep, submitSweep } from '@peft-lab/db';
import { getDb } from '../../../lib/db';
import { csvList, intParam, parseQuery } from '../../../lib/query';
import { json, route } from '../../../lib/responses';
import { checkedTrialCount, readSpecBody } from '../../../lib/spec-input';

export const dynamic = 'force-dynamic';

const listQuery = z.strictObject({
  q: z.string().max(200).optional(),
  status: csvList(z.enum(Object.values(SweepStatus) as [SweepStatus, ...SweepStatus[]])),
  page: intParam(0, 1_000_000, 0),
  pageSize: intParam(1, 200, 20),
});

export const GET = route(async (request) => {
  const query = parseQuery(request.url, listQuery);
  const page = await listSweeps(getDb(), query);
  return json({ ...page, items: page.items.map((s) => ({ ...s, objective: { metric: s.objective.metric, direction: s.objective.direction } })) });
});

const createQuery = z.strictObject({ external: z.enum(['true', 'false']).optional() });

export const POST = route(async (request) => {
  // ?external=true: trained elsewhere (ask-and-tell), as `peft-lab sweep create --external`.
  const { external } = parseQuery(request.url, createQuery);
  const spec = await readSpecBody(request);
  if (external === 'true') {
    const { sweep } = await submitExternalSweep(getDb(), spec);
    return json({ id: sweep.id, trials: 0, external: true, notes: sweepNotes(spec) }, { status: 201, headers: { location: `/api/sweeps/${sweep.id}` } });
  }
  checkedTrialCount(spec);
  // The same submission as `peft-lab sweep create`: model and task resolved, the parsed spec stored.
  const { sweep, trialIds } = await submitSweep(getDb(), spec);
  // notes: valid, but maybe not what was meant (a tpe budget that is all initial design)
  return json({ id: sweep.id, trials: trialIds.length, notes: sweepNotes(spec) }, { status: 201, headers: { location: `/api/sweeps/${sweep.id}` } });
});
