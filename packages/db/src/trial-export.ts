// What exporting one trial needs (`@peft-lab/export`: the adapter zip with its model card, the
// merged checkpoint): the trial's method, hyperparameters, seed, summary, measurements and the
// backend that produced them; its sweep's name, task, spec and base model; the imported
// dataset's name and labels; and the files it stored, by kind (adapter files, or the full model
// for full fine-tuning), the newest of each file name.
import { newestPerFile } from './artifacts';
import type { Db } from './client';
import { NotFoundError } from './errors';

export interface TrialExportFile {
  file: string;
  /** `pg:artifact/<id>/<file>`: read it with loadArtifactContent / openArtifactContent. */
  location: string;
  bytes: number;
  sha256: string;
}

export interface TrialExportInfo {
  trial: {
    id: string; index: number; method: string; status: string; seed: number;
    hyperparameters: unknown; summary: unknown; measurements: unknown; backend: string | null;
    finishedAt: Date | null;
  };
  sweep: { id: string; name: string; task: string; spec: unknown; baseModelName: string; baseModelId: string | null };
  /** The sweep's imported dataset; null for built-in tasks. */
  dataset: { name: string; labels: string[] | null } | null;
  /** Files of kind 'adapter' (adapter_model.safetensors, adapter_config.json). */
  adapterFiles: TrialExportFile[];
  /** Files of kind 'full-model' (full fine-tuning: config.json, model.safetensors). */
  fullModelFiles: TrialExportFile[];
}

/**
 * One trial's export source.
 * @throws NotFoundError for an unknown trial (a malformed id is unknown too).
 */
export async function trialExportInfo(db: Db, trialId: string): Promise<TrialExportInfo> {
  const t = await db.trial.findUnique({
    where: { id: trialId },
    select: {
      id: true, index: true, method: true, status: true, seed: true, hyperparameters: true, summary: true, measurements: true, backend: true, finishedAt: true,
      sweep: { select: { id: true, name: true, task: true, spec: true, baseModelId: true, dataset: { select: { name: true, labels: true } } } },
      artifacts: { where: { kind: { in: ['adapter', 'full_model'] } }, orderBy: { createdAt: 'asc' }, select: { kind: true, location: true, bytes: true, sha256: true } },
    },
  }).catch(() => null);
  if (!t) throw new NotFoundError('trial', trialId);
  const byKind = (kind: string): TrialExportFile[] =>
    newestPerFile(t.artifacts.filter((x) => x.kind === kind)).map((a) => ({ file: a.file, location: a.location, bytes: Number(a.bytes), sha256: a.sha256 }));
  const { sweep, artifacts: _artifacts, ...trial } = t;
  const spec = sweep.spec as { baseModel?: string };
  const labels = sweep.dataset && Array.isArray(sweep.dataset.labels) ? (sweep.dataset.labels as string[]) : null;
  return {
    trial: { ...trial, status: String(trial.status) },
    sweep: { id: sweep.id, name: sweep.name, task: sweep.task, spec: sweep.spec, baseModelName: spec.baseModel ?? 'builtin', baseModelId: sweep.baseModelId },
    dataset: sweep.dataset ? { name: sweep.dataset.name, labels } : null,
    adapterFiles: byKind('adapter'),
    fullModelFiles: byKind('full_model'),
  };
}
