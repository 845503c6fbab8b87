import { completedTrialSummaries, getSweepObjective, type Db } from '@peft-lab/db';
import type { Objective } from './chart-types';
import { chartObjective } from './trial-numbers';

/** The sweep's objective, with the summary key its finished trials actually wrote. */
export async function sweepObjective(db: Db, sweepId: string): Promise<Objective> {
  const [objective, summaries] = await Promise.all([getSweepObjective(db, sweepId), completedTrialSummaries(db, sweepId, 20)]);
  return chartObjective(objective, summaries);
}
