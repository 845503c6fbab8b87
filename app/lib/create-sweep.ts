// Spec → sweep row + queued trials, in one transaction (createSweepWithTrials).
import { listTasks } from '@peft-lab/data/catalog';
import { createSweepWithTrials, type Db, type NewTrial } from '@peft-lab/db';
import { trialRecords, type SweepSpec } from '@peft-lab/sweeps';
import { BadRequestError } from './errors';
import { checkedTrialCount } from './spec-input';

/** Resolves the spec's task and base model to rows. @throws BadRequestError naming `task` */
export async function resolveSpecRefs(db: Db, spec: SweepSpec): Promise<{ datasetId?: string; baseModelId?: string }> {
  const builtin = listTasks().map((t) => t.name);
  let datasetId: string | undefined;
  if (!builtin.includes(spec.task)) {
    const ds = await db.dataset.findFirst({ where: { OR: [{ name: spec.task }, { id: spec.task }] }, select: { id: true } });
    if (!ds) {
      const imported = (await db.dataset.findMany({ select: { name: true }, orderBy: { name: 'asc' }, take: 50 })).map((d) => d.name);
      throw new BadRequestError([`task: unknown task ${JSON.stringify(spec.task)} (built-in: ${builtin.join(', ')}${imported.length ? `; imported: ${imported.join(', ')}` : ''})`]);
    }
    datasetId = ds.id;
  }
  // 'builtin' and checkpoint directories need no row (the worker resolves them); a registered name links it.
  const model = await db.baseModel.findFirst({ where: { name: spec.baseModel }, select: { id: true } });
  return { datasetId, baseModelId: model?.id };
}

/** The queue rows of a spec: the same layout the CLI submits (`trialRecords`). */
export function trialsOfSpec(spec: SweepSpec): NewTrial[] {
  return trialRecords(spec) as NewTrial[];
}

/** Creates the sweep and its queued trials; nothing is stored when anything fails. */
export async function createSweepFromSpec(db: Db, spec: SweepSpec): Promise<{ id: string; trials: number }> {
  checkedTrialCount(spec);
  const refs = await resolveSpecRefs(db, spec);
  const trials = trialsOfSpec(spec);
  const { sweep, trialIds } = await createSweepWithTrials(
    db,
    { name: spec.name, spec: spec as unknown as Record<string, unknown>, task: spec.task, ...refs, maxParallel: spec.budget.maxParallel },
    trials,
  );
  return { id: sweep.id, trials: trialIds.length };
}
