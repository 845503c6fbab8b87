// Which metric ranks a sweep's trials: the spec's objective, else its task's own metric.
import { listTasks } from '@peft-lab/data/catalog';

export interface Objective {
  metric: string;
  direction: 'maximize' | 'minimize';
}

const MINIMIZED = new Set(['perplexity', 'loss', 'eval_loss', 'final_loss']);

/** @param spec the stored sweep spec (JSON); @param taskKind of an imported dataset, if any */
export function sweepObjective(spec: unknown, task: string, taskKind?: string | null): Objective {
  const o = (spec as { objective?: { metric?: unknown; direction?: unknown } } | null)?.objective;
  if (o && typeof o.metric === 'string' && (o.direction === 'maximize' || o.direction === 'minimize')) {
    return { metric: o.metric, direction: o.direction };
  }
  const info = listTasks().find((t) => t.name === task);
  const metric = info?.metric ?? (taskKind === 'language-modeling' ? 'perplexity' : 'accuracy');
  return { metric, direction: MINIMIZED.has(metric) ? 'minimize' : 'maximize' };
}
