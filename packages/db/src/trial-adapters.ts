// The stored adapters of completed trials, as `peft-lab serve --sweep` reads them: which
// trials (all completed, the best of each method by the sweep's objective, or a list), and
// for each the adapter files the worker stored (kind 'adapter': adapter_model.safetensors,
// adapter_config.json) with what a server needs beside them (method, seed, the trial's
// hyperparameters, the sweep's task and base model, the imported dataset's labels).
import { newestPerFile } from './artifacts';
import type { Db } from './client';
import { InvalidArgumentError, NotFoundError } from './errors';
import { getSweepObjective } from './objective';
import { bestPerMethod } from './sweep-list';

export interface TrialAdapterFile {
  file: string;
  /** `pg:artifact/<id>/<file>`: read it with loadArtifactContent. */
  location: string;
  bytes: number;
}

export interface TrialAdapter {
  trialId: string;
  sweepId: string;
  index: number;
  method: string;
  seed: number;
  hyperparameters: unknown;
  summary: unknown;
  /** The sweep's task name (built-in task id or dataset name) and its spec, as stored. */
  task: string;
  spec: unknown;
  baseModelName: string;
  baseModelId: string | null;
  /** Label names of the sweep's imported dataset; null for built-in tasks (read them from @peft-lab/data). */
  datasetLabels: string[] | null;
  files: TrialAdapterFile[];
}

export interface SweepTrialAdaptersOptions {
  /** Only the best completed trial of each method by the sweep's objective (full fine-tuning left out: it stores a model). */
  bestPerMethod?: boolean;
  /** Only these trials (ids) of the sweep. */
  trialIds?: string[];
}

/**
 * The adapters of one sweep's completed trials (default: all that stored an adapter).
 * @throws NotFoundError (no sweep, or a listed trial not in it), InvalidArgumentError (a listed trial has no stored adapter)
 */
export async function sweepTrialAdapters(db: Db, sweepId: string, opts: SweepTrialAdaptersOptions = {}): Promise<TrialAdapter[]> {
  const sweep = await db.sweep.findUnique({ where: { id: sweepId }, select: { id: true, spec: true, task: true, baseModelId: true, dataset: { select: { labels: true } } } });
  if (!sweep) throw new NotFoundError('sweep', sweepId);
  let ids: string[] | undefined = opts.trialIds;
  if (opts.bestPerMethod) {
    const objective = await getSweepObjective(db, sweepId);
    const best = (await bestPerMethod(db, new Map([[sweepId, objective]]))).get(sweepId) ?? [];
    ids = best.filter((b) => b.method !== 'full').map((b) => b.trialId);
  }
  const trials = await db.trial.findMany({
    where: { sweepId, ...(ids ? { id: { in: ids } } : { status: 'completed' }) },
    orderBy: { index: 'asc' },
    select: {
      id: true, index: true, method: true, seed: true, hyperparameters: true, summary: true,
      artifacts: { where: { kind: 'adapter' }, orderBy: { createdAt: 'asc' }, select: { location: true, bytes: true } },
    },
  });
  if (opts.trialIds) {
    const missing = opts.trialIds.find((id) => !trials.some((t) => t.id === id));
    if (missing) throw new NotFoundError(`trial of sweep ${sweepId}`, missing);
  }
  const spec = sweep.spec as { baseModel?: string };
  const labels = Array.isArray(sweep.dataset?.labels) ? (sweep.dataset!.labels as string[]) : null;
  const out: TrialAdapter[] = [];
  for (const t of trials) {
    const files: TrialAdapterFile[] = newestPerFile(t.artifacts).map((a) => ({ file: a.file, location: a.location, bytes: Number(a.bytes) }));
    if (!files.length) {
      if (opts.trialIds) throw new InvalidArgumentError('trial', t.id, `stored no adapter (method ${t.method}${t.method === 'full' ? ': full fine-tuning stores a model' : ''})`);
      continue;
    }
    out.push({
      trialId: t.id, sweepId, index: t.index, method: t.method, seed: t.seed, hyperparameters: t.hyperparameters, summary: t.summary,
      task: sweep.task, spec: sweep.spec, baseModelName: spec.baseModel ?? 'builtin', baseModelId: sweep.baseModelId, datasetLabels: labels, files,
    });
  }
  return out;
}

/**
 * One trial's stored adapter (for `POST /v1/adapters {artifact: <trial id>}`).
 * @throws NotFoundError, InvalidArgumentError (no stored adapter)
 */
export async function trialAdapter(db: Db, trialId: string): Promise<TrialAdapter> {
  const t = await db.trial.findUnique({ where: { id: trialId }, select: { sweepId: true } }).catch(() => null);
  if (!t) throw new NotFoundError('trial', trialId);
  const [a] = await sweepTrialAdapters(db, t.sweepId, { trialIds: [trialId] });
  return a;
}
