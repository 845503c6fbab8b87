/**
 * Deployable exports of one trial, for the dashboard's download routes and `peft-lab export`.
 * This entry is free of TensorFlow.js (the dashboard imports it); the merged checkpoint, which
 * runs the engine, is `./checkpoint.ts` (`@peft-lab/export/checkpoint`).
 * - `adapter-zip`: the PEFT-format adapter the worker stored (adapter_config.json +
 *   adapter_model.safetensors) with a README.md model card (`model-card.ts`);
 * - `merged-zip`: a Hugging Face checkpoint with the adapter merged into the base weights (or a
 *   full fine-tuning trial's stored model); `checkpointExportPlan` says up front whether a trial
 *   has one, `zipDirectory` packs the written directory.
 * Refusals are ExportUnavailableError (422) naming the trial and what to download instead;
 * an unknown trial is @peft-lab/db's NotFoundError (404).
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { listTasks } from '@peft-lab/data/catalog';
import { isMergeableMethod } from '@peft-lab/engine/methods';
import { loadArtifactContent, resolveBaseModel, trialExportInfo, type Db, type TrialExportInfo } from '@peft-lab/db';
import { ExportUnavailableError } from './errors.js';
import { modelCard, type ExportKind } from './model-card.js';

export const TRIAL_EXPORT_FORMATS = ['adapter-zip', 'merged-zip'] as const;
export type TrialExportFormat = (typeof TRIAL_EXPORT_FORMATS)[number];

/** A zip being produced: stream it to the client or a file; `fileName` is what to save it as. */
export interface ExportArchive {
  fileName: string;
  stream: Readable;
}

const HEAD_OF_TASK_TYPE: Record<string, string> = { CAUSAL_LM: 'causal-lm', SEQ_CLS: 'sequence-classification', TOKEN_CLS: 'token-classification' };

const safeName = (s: string) => s.replace(/[^\w.-]+/g, '_');

/** `<sweep>-<method>-<index>-<what>`: the zip's name and its top folder. */
const exportName = (info: TrialExportInfo, what: string) => safeName(`${info.sweep.name}-${info.trial.method}-${info.trial.index}-${what}`);

function requireCompleted(info: TrialExportInfo, format: string): void {
  if (info.trial.status !== 'completed') throw new ExportUnavailableError(info.trial.id, format, `the trial is ${info.trial.status}; exports are of completed trials`);
}

function packageVersion(name: string): string {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The versions the card lists: PEFT Lab's, TensorFlow.js's and Node's. */
export function frameworkVersions(): Record<string, string> {
  return { 'PEFT Lab': packageVersion('@peft-lab/engine'), 'TensorFlow.js': packageVersion('@tensorflow/tfjs'), 'Node.js': process.version };
}

/** The label names of the trial's task: the imported dataset's, else the built-in task's. */
function taskLabels(info: TrialExportInfo): string[] | undefined {
  if (info.dataset?.labels) return info.dataset.labels;
  if (info.dataset) return undefined;
  const labels = listTasks().find((t) => t.name === info.sweep.task)?.labels ?? [];
  return labels.length ? labels : undefined;
}

/** The decoder pooling the trial trained with: its own training block's, else the sweep spec's. */
function trialPooling(info: TrialExportInfo): 'last' | 'mean' | undefined {
  const own = (info.trial.hyperparameters as { training?: { pooling?: unknown } } | null)?.training?.pooling;
  const spec = (info.sweep.spec as { training?: { pooling?: unknown } } | null)?.training?.pooling;
  const p = own ?? spec;
  return p === 'last' || p === 'mean' ? p : undefined;
}

function cardFor(info: TrialExportInfo, kind: ExportKind, head: string, adapterConfig: Record<string, unknown> | null, labels: string[] | undefined): string {
  return modelCard({
    kind, trial: info.trial, sweep: info.sweep, baseModel: info.sweep.baseModelName, head, adapterConfig,
    dataset: { name: info.dataset?.name ?? info.sweep.task, builtin: !info.dataset, labels },
    frameworkVersions: frameworkVersions(),
  });
}

/** The stored adapter's files, read from PostgreSQL (small: an adapter is kilobytes to megabytes). */
async function adapterFiles(db: Db, info: TrialExportInfo, format: string): Promise<Map<string, Uint8Array>> {
  requireCompleted(info, format);
  if (!info.adapterFiles.length) {
    throw new ExportUnavailableError(info.trial.id, format, info.trial.method === 'full'
      ? 'full fine-tuning stores a full model, not an adapter: export it with format=merged-zip'
      : `method ${info.trial.method} stored no adapter`);
  }
  return readFiles(db, info.adapterFiles);
}

/**
 * The trial's PEFT-format adapter and its model card as a zip (`<name>/adapter_config.json`,
 * `<name>/adapter_model.safetensors`, `<name>/README.md`).
 * @throws NotFoundError (unknown trial), ExportUnavailableError (not completed, no stored adapter)
 */
export async function trialAdapterZip(db: Db, trialId: string): Promise<ExportArchive> {
  const info = await trialExportInfo(db, trialId);
  const files = await adapterFiles(db, info, 'adapter-zip');
  const adapterConfig = files.has('adapter_config.json') ? JSON.parse(Buffer.from(files.get('adapter_config.json')!).toString('utf8')) as Record<string, unknown> : null;
  const head = HEAD_OF_TASK_TYPE[String(adapterConfig?.task_type ?? 'CAUSAL_LM')] ?? 'causal-lm';
  const name = exportName(info, 'adapter');
  const zip = new ZipFile();
  const mtime = info.trial.finishedAt ?? new Date(0);
  for (const [file, bytes] of files) zip.addBuffer(Buffer.from(bytes), `${name}/${file}`, { mtime, compress: !file.endsWith('.safetensors') });
  zip.addBuffer(Buffer.from(cardFor(info, 'adapter', head, adapterConfig, taskLabels(info)), 'utf8'), `${name}/README.md`, { mtime });
  zip.end();
  return { fileName: `${name}.zip`, stream: zip.outputStream as unknown as Readable };
}

/** What a checkpoint export of a trial is made of, checked before any weight is read. */
export interface CheckpointExportPlan {
  info: TrialExportInfo;
  kind: 'merged' | 'full';
  /** The base model's directory (its tokenizer files and generation config go along; merged: its weights too). */
  baseDir: string;
  labels: string[] | undefined;
  pooling: 'last' | 'mean' | undefined;
  /** `<sweep>-<method>-<index>-merged|full`: the zip's name and top folder. */
  name: string;
}

/**
 * Whether trial `trialId` has a checkpoint export, and of what.
 * @throws NotFoundError (unknown trial), ExportUnavailableError (not completed; prefix, prompt or
 *   bottleneck adapters, which do not merge; full fine-tuning that stored no model; no stored adapter)
 */
export async function checkpointExportPlan(db: Db, trialId: string): Promise<CheckpointExportPlan> {
  const format = 'merged checkpoint';
  const info = await trialExportInfo(db, trialId);
  requireCompleted(info, format);
  const { method } = info.trial;
  if (method === 'full') {
    if (!info.fullModelFiles.length) throw new ExportUnavailableError(trialId, format, 'this full fine-tuning trial stored no full model (storing it failed or it predates stored models)');
  } else if (!isMergeableMethod(method)) {
    throw new ExportUnavailableError(trialId, format, `method ${method} cannot be merged into the base weights (only LoRA, DoRA and (IA)³ fold into them; ${method} adds modules or virtual tokens at run time): download the PEFT-format adapter instead (format=adapter-zip) and load it with peft's PeftModel.from_pretrained`);
  } else if (!info.adapterFiles.length) {
    throw new ExportUnavailableError(trialId, format, `the trial stored no adapter`);
  }
  const base = await resolveBaseModel(db, info.sweep.baseModelName, info.sweep.baseModelId);
  return { info, kind: method === 'full' ? 'full' : 'merged', baseDir: base.dir, labels: taskLabels(info), pooling: trialPooling(info), name: exportName(info, method === 'full' ? 'full' : 'merged') };
}

/** The card of a checkpoint export (`./checkpoint.ts` writes it as README.md). */
export function checkpointCard(plan: CheckpointExportPlan, head: string, adapterConfig: Record<string, unknown> | null): string {
  return cardFor(plan.info, plan.kind, head, adapterConfig, plan.labels);
}

/** The stored adapter's or full model's files of a planned checkpoint export. */
export function checkpointSourceFiles(db: Db, plan: CheckpointExportPlan): Promise<Map<string, Uint8Array>> {
  return plan.kind === 'full' ? readFiles(db, plan.info.fullModelFiles) : adapterFiles(db, plan.info, 'merged checkpoint');
}

async function readFiles(db: Db, files: TrialExportInfo['fullModelFiles']): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const f of files) out.set(f.file, await loadArtifactContent(db, f.location));
  return out;
}

/**
 * The files of `dir` (flat) as a zip under the folder `name`, safetensors stored rather than
 * deflated (float bytes barely compress, and a checkpoint can be gigabytes); `onDone` runs once
 * the zip has been read, failed or been dropped (remove `dir` there).
 */
export function zipDirectory(dir: string, name: string, mtime: Date, onDone?: () => void): ExportArchive {
  const zip = new ZipFile();
  for (const f of readdirSync(dir).sort()) zip.addFile(join(dir, f), `${name}/${f}`, { mtime, compress: !f.endsWith('.safetensors') });
  zip.end();
  const stream = zip.outputStream as unknown as Readable;
  if (onDone) {
    let done = false;
    const once = () => {
      if (!done) onDone();
      done = true;
    };
    stream.once('end', once);
    stream.once('close', once);
    stream.once('error', once);
  }
  return { fileName: `${name}.zip`, stream };
}
