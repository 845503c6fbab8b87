// GET /api/trials/[id] — the trial row, its sweep's name, and its artifacts (without their bytes).
import { NotFoundError } from '@peft-lab/db';
import { getDb } from '../../../../lib/db';
import { json, route } from '../../../../lib/responses';

export const dynamic = 'force-dynamic';

export const GET = route<{ id: string }>(async (_request, { id }) => {
  const db = getDb();
  const trial = await db.trial.findUnique({
    where: { id },
    include: {
      sweep: { select: { id: true, name: true, task: true, status: true } },
      artifacts: {
        select: { id: true, kind: true, location: true, bytes: true, sha256: true, step: true, createdAt: true },
        orderBy: [{ kind: 'asc' }, { createdAt: 'asc' }],
      },
    },
  });
  if (!trial) throw new NotFoundError('trial', id);
  const { leaseToken: _token, ...rest } = trial;
  const metricNames = await db.metricPoint.findMany({ where: { trialId: id }, distinct: ['name'], select: { name: true }, orderBy: { name: 'asc' } });
  return json({
    ...rest,
    metricNames: metricNames.map((m) => m.name),
    artifacts: trial.artifacts.map((a) => ({ ...a, downloadUrl: `/api/artifacts/${a.id}` })),
  });
});
