// Where `peft-lab serve` gets adapters besides directories: a sweep's stored artifacts in
// PostgreSQL. Each trial's adapter files are written to a temporary directory (removed when
// the adapter is unloaded), with what the trial trained with beside them: the task's labels,
// the decoder pooling, the seed of a head the checkpoint lacks, the sweep's base model.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db, TrialAdapter } from '@peft-lab/db';
import type { AdapterSource } from '@peft-lab/serve';

export interface SweepSelection {
  bestPerMethod?: boolean;
  trialIds?: string[];
}

/** The name a sweep's trial is served under: `<method>-<index>` (`lora-3`). */
export const trialAdapterName = (t: Pick<TrialAdapter, 'method' | 'index'>) => `${t.method}-${t.index}`;

/** Label names of the trial's task: the imported dataset's, or the built-in task's. */
async function taskLabels(t: TrialAdapter): Promise<string[] | undefined> {
  if (t.datasetLabels) return t.datasetLabels;
  const { isBuiltinTask, loadTask } = await import('@peft-lab/data');
  if (!isBuiltinTask(t.task)) return undefined;
  const labels = loadTask(t.task, { maxExamples: 1 }).info.labels;
  return labels.length ? labels : undefined;
}

/** The decoder pooling the trial trained with, as the worker decides it (prepareTrial). */
async function trialPooling(t: TrialAdapter): Promise<'last' | 'mean' | undefined> {
  const { trainingParams } = await import('@peft-lab/worker');
  const { expandSweep, validateSweepSpec } = await import('@peft-lab/sweeps');
  const hp = t.hyperparameters as Record<string, unknown>;
  const expanded = hp.training ? undefined : expandSweep(validateSweepSpec(t.spec))[t.index];
  return trainingParams(hp, expanded && expanded.method === t.method ? expanded.training : undefined).pooling;
}

/** Writes one trial's adapter files to a temporary directory and describes it for the server. */
export async function trialAdapterSource(db: Db, t: TrialAdapter, ref = t.trialId): Promise<AdapterSource> {
  const { loadArtifactContent, resolveBaseModel } = await import('@peft-lab/db');
  const dir = mkdtempSync(join(tmpdir(), `peft-lab-serve-${trialAdapterName(t)}-`));
  try {
    for (const f of t.files) writeFileSync(join(dir, f.file), await loadArtifactContent(db, f.location));
    const base = await resolveBaseModel(db, t.baseModelName, t.baseModelId, { checkFiles: false });
    return {
      kind: 'artifact', ref, dir, labels: await taskLabels(t), pooling: await trialPooling(t), seed: t.seed, baseModelDir: base.dir,
      meta: { sweepId: t.sweepId, trialId: t.trialId, index: t.index, method: t.method, summary: t.summary },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The selected trials' adapters of sweep `sweepId`, named `<method>-<index>`. */
export async function sweepAdapterSources(db: Db, sweepId: string, sel: SweepSelection): Promise<{ name: string; source: AdapterSource }[]> {
  const { sweepTrialAdapters } = await import('@peft-lab/db');
  const trials = await sweepTrialAdapters(db, sweepId, sel);
  const out: { name: string; source: AdapterSource }[] = [];
  try {
    for (const t of trials) out.push({ name: trialAdapterName(t), source: await trialAdapterSource(db, t) });
  } catch (err) {
    for (const a of out) a.source.cleanup?.();
    throw err;
  }
  return out;
}

/** `POST /v1/adapters {artifact}`: a trial id (its stored adapter). */
export async function artifactAdapterSource(db: Db, ref: string): Promise<AdapterSource> {
  const { trialAdapter } = await import('@peft-lab/db');
  return trialAdapterSource(db, await trialAdapter(db, ref), ref);
}
