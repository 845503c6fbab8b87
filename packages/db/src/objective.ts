// A stored sweep's objective: `sweepObjective` of @peft-lab/sweeps over the sweep's spec and
// its task (a built-in task's metric, or an imported dataset's kind). Every reader — the
// API, the dashboard, the CLI, the reports — asks here, so they rank trials alike.
import { listTasks } from '@peft-lab/data/catalog';
import { sweepObjective, type ObjectiveTask, type SweepObjective } from '@peft-lab/sweeps';
import type { Db } from './client';
import { NotFoundError } from './errors';

export type { SweepObjective };

/** What objectiveOfSweep reads of a sweep row (its dataset's kind, when it has one). */
export interface SweepObjectiveSource {
  spec: unknown;
  task: string;
  datasetId?: string | null;
  dataset?: { taskKind: string } | null;
}

/** The objective of a sweep row: the spec's, else its task's metric (an imported dataset: its kind's). */
export function objectiveOfSweep(sweep: SweepObjectiveSource): SweepObjective {
  return sweepObjective(sweep.spec, objectiveTaskOfSweep(sweep));
}

/** What the sweep's task tells its objective: a built-in task's metric and kind, an imported dataset's kind. */
export function objectiveTaskOfSweep(sweep: Omit<SweepObjectiveSource, 'spec'>): ObjectiveTask {
  if (sweep.dataset) return { kind: sweep.dataset.taskKind };
  const builtin = sweep.datasetId ? undefined : listTasks().find((t) => t.name === sweep.task);
  return builtin ? { metric: builtin.metric, kind: builtin.kind } : {};
}

/** @throws NotFoundError */
export async function getSweepObjective(db: Db, sweepId: string): Promise<SweepObjective> {
  const sweep = await db.sweep.findUnique({ where: { id: sweepId }, select: { spec: true, task: true, datasetId: true, dataset: { select: { taskKind: true } } } });
  if (!sweep) throw new NotFoundError('sweep', sweepId);
  return objectiveOfSweep(sweep);
}
