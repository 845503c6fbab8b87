// A sweep as the plain data packages/report renders (its ReportInput shape). This file
// knows that shape by convention only: packages/db must not import the report package.
import { TRIAL_BOOKKEEPING_KEYS } from '@peft-lab/sweeps';
import type { Db } from './client';
import { objectiveOfSweep } from './objective';
import { getSweep, getTrialSeries } from './queries';

type HpValue = number | string | boolean | string[] | null;

export interface SweepReportData {
  sweep: { id: string; name: string; status: string; spec: unknown; baseModel: string; task: string; createdAt: string; finishedAt: string | null };
  objective: { metric: string; direction: 'maximize' | 'minimize' };
  trials: {
    id: string; index: number; method: string; label: string | null;
    hyperparameters: Record<string, HpValue>; seed: number; status: string;
    backend: string | null; error: string | null; startedAt: string | null; finishedAt: string | null;
    summary: Record<string, number | null> | null;
    measurements: Record<string, number | null> | null;
    series: Record<string, { step: number; value: number }[]>;
  }[];
}

export interface SweepReportOptions {
  /** Overrides the sweep's objective (default: objectiveOfSweep, the spec's or its task's metric). */
  objective?: { metric: string; direction: 'maximize' | 'minimize' };
  /** Points per learning curve (downsampled in SQL); default 200. */
  maxSeriesPoints?: number;
}

// Keys stored beside the method hyperparameters (trialRecords of @peft-lab/sweeps).
const BOOKKEEPING = new Set(TRIAL_BOOKKEEPING_KEYS);

const hpValue = (v: unknown): HpValue | undefined =>
  v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v
    : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

function numericRecord(v: unknown): Record<string, number | null> | null {
  if (!v || typeof v !== 'object') return null;
  const out: Record<string, number | null> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'number' || x === null) out[k] = typeof x === 'number' && !Number.isFinite(x) ? null : x;
  return out;
}

/**
 * Everything a report of `sweepId` needs, in one call: sweep, objective, every trial with
 * its hyperparameters (method ones, plus training parameters that differ between trials),
 * summary, measurements and downsampled `train/loss` and `eval/<metric>` curves.
 * @throws NotFoundError
 */
export async function sweepReportData(db: Db, sweepId: string, opts: SweepReportOptions = {}): Promise<SweepReportData> {
  const sweep = await getSweep(db, sweepId);
  const trials = await db.trial.findMany({ where: { sweepId }, orderBy: { index: 'asc' } });
  const spec = (sweep.spec ?? {}) as { baseModel?: string };

  const { metric, direction, series } = objectiveOfSweep(sweep);
  const objective = opts.objective ?? { metric, direction };

  // Training parameters enter the table only where the sweep varied them (e.g. lr searched).
  const trainingOf = (t: (typeof trials)[number]) => ((t.hyperparameters as Record<string, unknown>)?.training ?? {}) as Record<string, unknown>;
  const varying = new Set<string>();
  const firstSeen = new Map<string, string>();
  for (const t of trials) {
    for (const [k, v] of Object.entries(trainingOf(t))) {
      const s = JSON.stringify(v);
      if (!firstSeen.has(k)) firstSeen.set(k, s);
      else if (firstSeen.get(k) !== s) varying.add(k);
    }
  }

  const seriesNames = [...new Set(['train/loss', opts.objective ? `eval/${opts.objective.metric}` : series])];
  const out: SweepReportData['trials'] = [];
  for (const t of trials) {
    const raw = (t.hyperparameters ?? {}) as Record<string, unknown>;
    const hyperparameters: Record<string, HpValue> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (BOOKKEEPING.has(k)) continue;
      const hv = hpValue(v);
      if (hv !== undefined) hyperparameters[k] = hv;
    }
    for (const k of varying) {
      const hv = hpValue(trainingOf(t)[k]);
      if (hv !== undefined) hyperparameters[k] = hv;
    }
    const series: Record<string, { step: number; value: number }[]> = {};
    for (const s of await getTrialSeries(db, t.id, { names: seriesNames, maxPoints: opts.maxSeriesPoints ?? 200 })) {
      series[s.name] = s.points.filter((p) => Number.isFinite(p.last)).map((p) => ({ step: p.stepEnd, value: p.last }));
    }
    out.push({
      id: t.id, index: t.index, method: t.method, label: typeof raw.label === 'string' ? raw.label : null,
      hyperparameters, seed: t.seed, status: t.status, backend: t.backend, error: t.error,
      startedAt: t.startedAt?.toISOString() ?? null, finishedAt: t.finishedAt?.toISOString() ?? null,
      summary: numericRecord(t.summary), measurements: numericRecord(t.measurements), series,
    });
  }
  return {
    sweep: {
      id: sweep.id, name: sweep.name, status: sweep.status, spec: sweep.spec,
      baseModel: spec.baseModel ?? sweep.baseModel?.name ?? 'builtin', task: sweep.task,
      createdAt: sweep.createdAt.toISOString(), finishedAt: sweep.finishedAt?.toISOString() ?? null,
    },
    objective,
    trials: out,
  };
}
