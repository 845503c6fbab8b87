/**
 * The checkpoint export of a trial, written by the engine (TensorFlow.js): `@peft-lab/export/checkpoint`,
 * for the CLI (the dashboard runs `peft-lab export --format merged` in a child process and zips the
 * directory with the TF-free `zipDirectory`). A LoRA / DoRA / (IA)³ adapter is merged into its base
 * (`mergeAdapterIntoCheckpoint`); a full fine-tuning trial's stored model is written as it is.
 * Either way the base's tokenizer files and generation config and a README.md model card go beside it.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_SIDE_FILES, headFromHfConfig, mergeAdapterIntoCheckpoint, readHfConfig } from '@peft-lab/engine';
import type { Db } from '@peft-lab/db';
import { ExportUnavailableError } from './errors.js';
import { checkpointCard, checkpointExportPlan, checkpointSourceFiles, zipDirectory, type ExportArchive } from './trial-export.js';

export interface WrittenTrialCheckpoint {
  dir: string;
  /** Files in `dir`, sorted. */
  files: string[];
  kind: 'merged' | 'full';
  /** `<sweep>-<method>-<index>-merged|full`. */
  name: string;
}

/**
 * Writes trial `trialId`'s deployable Hugging Face checkpoint to `outDir` (created; existing files of the same names are replaced).
 * @throws NotFoundError (unknown trial), ExportUnavailableError (see checkpointExportPlan)
 */
export async function writeTrialCheckpoint(db: Db, trialId: string, outDir: string): Promise<WrittenTrialCheckpoint> {
  const plan = await checkpointExportPlan(db, trialId);
  const files = await checkpointSourceFiles(db, plan);
  mkdirSync(outDir, { recursive: true });
  if (plan.kind === 'full') {
    for (const [file, bytes] of files) writeFileSync(join(outDir, file), bytes);
    for (const f of CHECKPOINT_SIDE_FILES) if (existsSync(join(plan.baseDir, f)) && !files.has(f)) copyFileSync(join(plan.baseDir, f), join(outDir, f));
    writeFileSync(join(outDir, 'README.md'), checkpointCard(plan, headFromHfConfig(readHfConfig(outDir)), null));
    return { dir: outDir, files: readdirSync(outDir).sort(), kind: 'full', name: plan.name };
  }
  const adapterDir = mkdtempSync(join(tmpdir(), 'peft-lab-export-adapter-'));
  try {
    for (const [file, bytes] of files) writeFileSync(join(adapterDir, file), bytes);
    const adapterConfig = JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    const merged = mergeAdapterIntoCheckpoint(plan.baseDir, adapterDir, outDir, { labels: plan.labels, pooling: plan.pooling });
    writeFileSync(join(outDir, 'README.md'), checkpointCard(plan, merged.head, adapterConfig));
    return { dir: outDir, files: [...merged.files, 'README.md'].sort(), kind: 'merged', name: plan.name };
  } catch (err) {
    if ((err as { code?: string }).code === 'NOT_MERGEABLE') throw new ExportUnavailableError(trialId, 'merged checkpoint', (err as Error).message, { cause: err });
    throw err;
  } finally {
    rmSync(adapterDir, { recursive: true, force: true });
  }
}

/**
 * `writeTrialCheckpoint` as a zip; the checkpoint goes to a temporary directory, removed once the zip has been read or dropped.
 * @throws as writeTrialCheckpoint
 */
export async function trialCheckpointZip(db: Db, trialId: string): Promise<ExportArchive> {
  const tmp = mkdtempSync(join(tmpdir(), 'peft-lab-export-merged-'));
  try {
    const written = await writeTrialCheckpoint(db, trialId, join(tmp, 'checkpoint'));
    return zipDirectory(written.dir, written.name, new Date(0), () => rmSync(tmp, { recursive: true, force: true }));
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
