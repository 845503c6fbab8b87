// A sweep as @peft-lab/report's input (plain data). The report package never queries;
// this is the app's read of the rows it needs.
import { getSweep, getTrialSeries, type Db } from '@peft-lab/db';
import type { ReportInputLike } from '@peft-lab/report';
import { sweepObjective } from './objective';

type Hp = Record<string, unknown>;
const BOOKKEEPING = new Set(['training', 'configKey', 'isBaseline', 'label']);

function isHyperValue(v: unknown): v is number | string | boolean | string[] | null {
  return v === null || ['number', 'string', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((s) => typeof s === 'string'));
}

/** Method hyperparameters plus the training ones (lr, batchSize…), as flat report values. */
export function flatHyperparameters(hp: Hp): Record<string, number | string | boolean | string[] | null> {
  const out: Record<string, number | string | boolean | string[] | null> = {};
  for (const [k, v] of Object.entries(hp)) if (!BOOKKEEPING.has(k) && isHyperValue(v)) out[k] = v;
  const training = hp.training && typeof hp.training === 'object' ? (hp.training as Hp) : {};
  for (const [k, v] of Object.entries(training)) if (!(k in out) && isHyperValue(v)) out[k] = v;
  return out;
}

function numbersOnly(obj: unknown): Record<string, number | null> | null {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(obj as Hp)) if (typeof v === 'number' || v === null) out[k] = v;
  return out;
}

/**
 * @param withSeries include downsampled learning curves (the HTML report draws them).
 * @throws NotFoundError
 */
export async function sweepReportInput(db: Db, sweepId: string, opts: { withSeries?: boolean } = {}): Promise<ReportInputLike> {
  const sweep = await getSweep(db, sweepId);
  const trials = await db.trial.findMany({ where: { sweepId }, orderBy: { index: 'asc' } });
  const series = new Map<string, Record<string, { step: number; value: number }[]>>();
  if (opts.withSeries && trials.length <= 500) {
    for (const t of trials) {
      const s = await getTrialSeries(db, t.id, { maxPoints: 100 });
      if (s.length) series.set(t.id, Object.fromEntries(s.map((x) => [x.name, x.points.map((p) => ({ step: p.stepEnd, value: p.last }))])));
    }
  }
  return {
    sweep: {
      id: sweep.id,
      name: sweep.name,
      status: sweep.status,
      spec: sweep.spec,
      baseModel: sweep.baseModel?.name ?? String((sweep.spec as Hp | null)?.baseModel ?? 'builtin'),
      task: sweep.task,
      createdAt: sweep.createdAt,
      finishedAt: sweep.finishedAt,
    },
    objective: sweepObjective(sweep.spec, sweep.task, sweep.dataset?.taskKind),
    trials: trials.map((t) => {
      const hp = (t.hyperparameters ?? {}) as Hp;
      return {
        id: t.id,
        index: t.index,
        method: t.method as 'full',
        label: typeof hp.label === 'string' ? hp.label : null,
        hyperparameters: flatHyperparameters(hp),
        seed: t.seed,
        status: t.status,
        backend: t.backend,
        error: t.error,
        startedAt: t.startedAt,
        finishedAt: t.finishedAt,
        summary: numbersOnly(t.summary),
        measurements: numbersOnly(t.measurements),
        series: series.get(t.id) ?? null,
      };
    }),
  };
}
