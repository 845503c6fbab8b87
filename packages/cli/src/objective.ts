import { isBuiltinTask, listTasks } from '@peft-lab/data';
import { getSweep, type Db } from '@peft-lab/db';

const MINIMIZED = new Set(['perplexity', 'loss']);
const KIND_METRIC: Record<string, string> = { 'sequence-classification': 'accuracy', 'token-classification': 'token-accuracy', 'causal-lm': 'perplexity' };

/** A sweep's objective: the spec's, else its task's primary metric (built-in or imported). */
export async function sweepObjective(db: Db, sweepId: string): Promise<{ metric: string; direction: 'maximize' | 'minimize' }> {
  const s = await getSweep(db, sweepId);
  const spec = s.spec as { objective?: { metric: string; direction: 'maximize' | 'minimize' } };
  if (spec.objective) return spec.objective;
  let metric = 'accuracy';
  if (isBuiltinTask(s.task)) metric = listTasks().find((t) => t.name === s.task)!.metric;
  else if (s.dataset) metric = KIND_METRIC[s.dataset.taskKind] ?? 'accuracy';
  // The engine reports binary F1 as macro-F1 (see worker/src/prepare-trial.ts).
  if (metric === 'f1') metric = 'macro-f1';
  return { metric, direction: MINIMIZED.has(metric) ? 'minimize' : 'maximize' };
}
