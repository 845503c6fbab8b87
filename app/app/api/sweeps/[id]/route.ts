// GET /api/sweeps/[id] — the sweep, its spec, trial counts and per-method summary.
import { bestPerMethod, getSweep, getSweepMethodSummary, objectiveOfSweep } from '@peft-lab/db';
import { getDb } from '../../../../lib/db';
import { json, route } from '../../../../lib/responses';

export const dynamic = 'force-dynamic';

export const GET = route<{ id: string }>(async (_request, { id }) => {
  const db = getDb();
  const sweep = await getSweep(db, id);
  const objective = objectiveOfSweep(sweep);
  const [methods, best] = await Promise.all([getSweepMethodSummary(db, id), bestPerMethod(db, new Map([[id, objective]]))]);
  const { dataset, baseModel, ...rest } = sweep;
  return json({
    ...rest,
    baseModel: baseModel ? { id: baseModel.id, name: baseModel.name, family: baseModel.family } : null,
    dataset: dataset ? { id: dataset.id, name: dataset.name, taskKind: dataset.taskKind } : null,
    objective: { metric: objective.metric, direction: objective.direction },
    methods,
    best: best.get(id) ?? [],
  });
});
