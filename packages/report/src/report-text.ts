/** Title and sweep summary lines shared by the text formats. */
import type { SweepAggregate } from './aggregate.js';
import type { ReportInput } from './input.js';

export function reportTitle(input: ReportInput): string {
  return `PEFT Lab sweep report: ${input.sweep.name}`;
}

/** [label, value] pairs describing the sweep (no render-time clock: reports are reproducible). */
export function sweepSummary(input: ReportInput, agg: SweepAggregate): [string, string][] {
  const total = input.trials.length;
  const byStatus = ['completed', 'failed', 'cancelled', 'pruned', 'queued', 'running']
    .map((s) => [s, input.trials.filter((t) => t.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const backends = [...new Set(input.trials.map((t) => t.backend).filter((b): b is string => !!b))].sort();
  return [
    ['Sweep', `${input.sweep.name} (${input.sweep.id})`],
    ['Status', input.sweep.status],
    ['Base model', input.sweep.baseModel],
    ['Task', input.sweep.task],
    ['Objective', `${input.objective.direction} ${input.objective.metric}`],
    ['Trials', total ? `${total} (${byStatus})` : '0'],
    ['Methods', agg.methods.map((m) => m.method).join(', ') || 'none'],
    ['Backends', backends.join(', ') || 'not recorded'],
    ['Created', input.sweep.createdAt],
    ['Finished', input.sweep.finishedAt ?? 'not finished'],
  ];
}
