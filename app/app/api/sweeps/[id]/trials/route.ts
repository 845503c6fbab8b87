// GET /api/sweeps/[id]/trials?status=&method=&sort=&order=&page=&pageSize=
import { z } from 'zod';
import { ensureSweepExists, listTrials, TrialStatus } from '@peft-lab/db';
import { getDb } from '../../../../../lib/db';
import { csvList, intParam, parseQuery } from '../../../../../lib/query';
import { json, route } from '../../../../../lib/responses';

export const dynamic = 'force-dynamic';

const SORT_COLUMNS = ['index', 'method', 'status', 'seed', 'createdAt', 'startedAt', 'finishedAt', 'attempt'] as const;

const trialsQuery = z.strictObject({
  status: csvList(z.enum(Object.values(TrialStatus) as [TrialStatus, ...TrialStatus[]])),
  method: csvList(z.string().min(1).max(50)),
  sort: z
    .string()
    .refine((s) => (SORT_COLUMNS as readonly string[]).includes(s) || /^summary\.[\w/.-]{1,100}$/.test(s), {
      message: `must be one of ${SORT_COLUMNS.join(', ')} or summary.<metric>`,
    })
    .default('index'),
  order: z.enum(['asc', 'desc']).default('asc'),
  page: intParam(0, 1_000_000, 0),
  pageSize: intParam(1, 1000, 50),
});

export const GET = route<{ id: string }>(async (request, { id }) => {
  const q = parseQuery(request.url, trialsQuery);
  const db = getDb();
  // An empty page of a missing sweep would look like "no trials": say 404 instead.
  await ensureSweepExists(db, id);
  const page = await listTrials(db, id, {
    status: q.status,
    method: q.method,
    sort: { by: q.sort as (typeof SORT_COLUMNS)[number], dir: q.order },
    page: q.page,
    pageSize: q.pageSize,
  });
  return json(page);
});
