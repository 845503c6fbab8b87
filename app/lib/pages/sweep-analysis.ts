// The sweep page's analysis charts as narrow props: @peft-lab/db reads the optimisation
// history (downsampled in SQL) and the completed trials; here they become hyperparameter
// importance (PED-ANOVA of @peft-lab/sweeps, over all methods and per method, each parameter on
// the range and scale the sweep's spec declares) and, for a
// multi-objective spec, its first two objectives with the non-dominated front marked.
import { sweepAnalysisRows, type Db, type SweepAnalysisRows } from '@peft-lab/db';
import { objectiveValue, paretoFront2d, parameterImportance, parameterImportanceByMethod, sweepObjectives, type ImportanceResult, type ImportanceTrial } from '@peft-lab/sweeps';
import type { HistorySeries, ImportanceScope, Objective, ObjectivesData, ObjectivePoint } from './chart-types';

const MAX_HISTORY_POINTS = 300;
const MAX_OBJECTIVE_POINTS = 300;

function scope(name: string, r: ImportanceResult): ImportanceScope {
  if (!r.ok) return { scope: name, message: r.message, bars: [], unscored: [], completed: r.completed };
  return {
    scope: name, message: null, completed: r.completed,
    bars: r.importances.map((p) => ({ param: p.param, importance: p.importance, trials: p.trials, topTrials: p.topTrials })),
    unscored: r.unscored.map((u) => ({ param: u.param, trials: u.trials })),
  };
}

/** @param spec the sweep's stored spec: each parameter is read on its declared range and scale (inferred from the trials without one) */
export function importanceScopes(rows: SweepAnalysisRows['completed'], direction: Objective['direction'], spec?: unknown): ImportanceScope[] {
  const trials: ImportanceTrial[] = rows.map((t) => ({ method: t.method, hyperparameters: t.hyperparameters as Record<string, unknown>, value: t.value }));
  const opts = { direction, spec };
  return [scope('all', parameterImportance(trials, opts)), ...parameterImportanceByMethod(trials, opts).map((m) => scope(m.method, m.result))];
}

function objectivesData(rows: SweepAnalysisRows): ObjectivesData | null {
  const objectives = sweepObjectives(rows.spec);
  if (objectives.length < 2) return null;
  // the primary objective up (the task metric, as the single-objective chart has it), the second across
  const [oy, ox] = objectives;
  const raw: Omit<ObjectivePoint, 'front'>[] = [];
  for (const t of rows.completed) {
    const r = { summary: t.summary as Record<string, unknown> | null, measurements: t.measurements as Record<string, unknown> | null };
    const x = objectiveValue(ox, r);
    const y = objectiveValue(oy, r);
    if (x !== null && y !== null) raw.push({ index: t.index, method: t.method, x, y });
  }
  const front = paretoFront2d(raw, ox.direction, oy.direction);
  const marked: ObjectivePoint[] = raw.map((p, i) => ({ ...p, front: front[i] }));
  // the whole front always, plus an even sample of the rest
  const onFront = marked.filter((p) => p.front).length;
  const every = Math.max(1, Math.ceil((marked.length - onFront) / Math.max(1, MAX_OBJECTIVE_POINTS - onFront)));
  let k = 0;
  return {
    x: { metric: ox.metric, direction: ox.direction },
    y: { metric: oy.metric, direction: oy.direction },
    points: marked.filter((p) => p.front || k++ % every === 0),
    total: raw.length,
  };
}

export interface SweepAnalysis {
  importance: ImportanceScope[];
  history: HistorySeries;
  objectives: ObjectivesData | null;
}

/** Importance, optimisation history and the objectives front of one sweep. */
export async function loadSweepAnalysis(db: Db, sweepId: string, objective: Objective, label = ''): Promise<SweepAnalysis> {
  const rows = await sweepAnalysisRows(db, sweepId, { summaryKey: objective.key, direction: objective.direction, maxHistoryPoints: MAX_HISTORY_POINTS });
  return {
    importance: importanceScopes(rows.completed, objective.direction, rows.spec),
    history: { label, strategy: rows.strategy, total: rows.total, points: rows.history.map(([index, value, best]) => ({ index, value, best })) },
    objectives: objectivesData(rows),
  };
}
