// The sweep page's charts: aggregated on the server (lib/pages/sweep-charts),
// drawn by small client components with narrow, capped props.
import type { Db } from '@peft-lab/db';
import { loadSweepCharts } from '@/lib/pages/sweep-charts';
import type { Objective } from '@/lib/pages/chart-types';
import { ParetoChart } from './charts/pareto-chart';
import { LearningCurvesChart } from './charts/learning-curves-chart';
import { ParallelCoordinates } from './charts/parallel-coordinates';
import { MethodBarsChart } from './charts/method-bars-chart';
import { CostChart } from './charts/cost-chart';
import { EffectChart } from './charts/effect-chart';
import { ImportanceChart } from './charts/importance-chart';
import { HistoryChart } from './charts/history-chart';
import { ObjectivesChart } from './charts/objectives-chart';

export function backendSource(backends: { backend: string; n: number }[]): string {
  if (backends.length === 0) return 'Backend: not recorded yet (no trial has run).';
  return `Numbers measured on TensorFlow.js backend: ${backends.map((b) => `${b.backend} (${b.n} trial${b.n === 1 ? '' : 's'})`).join(', ')}.`;
}

export async function SweepCharts({ db, sweepId, objective, finishedSignature }: { db: Db; sweepId: string; objective?: Objective; finishedSignature?: string }) {
  const d = await loadSweepCharts(db, sweepId, { finishedSignature, objective });
  const source = backendSource(d.backends);
  return (
    <>
      <p className="backend-note" data-testid="backend-note">{source}</p>
      <div className="charts">
        {d.objectives ? <ObjectivesChart data={d.objectives} source={source} /> : <ParetoChart data={d.pareto} objective={d.objective} source={source} />}
        <HistoryChart series={[d.history]} objective={d.objective} source={source} />
        <ImportanceChart scopes={d.importance} objective={d.objective} source={source} />
        <LearningCurvesChart series={d.curves} source={source} />
        <MethodBarsChart stats={d.methodStats} objective={d.objective} source={source} />
        <CostChart rows={d.costs} source={source} />
        <ParallelCoordinates data={d.parallel} objective={d.objective} source={source} />
        <EffectChart effects={d.effects} objective={d.objective} source={source} />
      </div>
    </>
  );
}
