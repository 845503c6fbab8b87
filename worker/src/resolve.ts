// A trial's task examples: a built-in task (@peft-lab/data) or an imported Dataset row whose
// file content is stored in the database. Which model and task a sweep names is resolved
// by @peft-lab/db (resolveBaseModel / resolveTask), the same code that checks a submission.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { importDataset, loadTask, type ImportDatasetOptions, type LoadedTask } from '@peft-lab/data';
import { readDatasetContent, upsertDatasetWithContent, type Db, type ResolvedTask } from '@peft-lab/db';
import { TrialSetupError } from './errors.js';

const loaded = new Map<string, LoadedTask>();

/** The task's examples (cached per process: a worker runs many trials of one task). */
export async function loadResolvedTask(db: Db, task: ResolvedTask): Promise<LoadedTask> {
  const hit = loaded.get(task.key);
  if (hit) return hit;
  let result: LoadedTask;
  if (!task.datasetId) result = loadTask(task.name);
  else {
    const { content, importOptions } = await readDatasetContent(db, task.datasetId);
    if (!content || !importOptions) throw new TrialSetupError('task', task.name, 'the dataset row has no stored content; import it again with `peft-lab data import`');
    const { path: _p, content: _c, ...opts } = importOptions as unknown as ImportDatasetOptions & { path?: string };
    result = importDataset({ ...opts, content } as ImportDatasetOptions);
  }
  if (loaded.size > 8) loaded.clear();
  loaded.set(task.key, result);
  return result;
}

/**
 * Validates a dataset file with @peft-lab/data and registers it (content, as a chunked
 * blob, and options stored in the database, so any worker can load it). Re-importing the
 * same name replaces the row's content.
 * @throws DatasetValidationError (nothing stored)
 */
export async function importAndRegisterDataset(db: Db, options: ImportDatasetOptions & { name: string }) {
  const ds = importDataset(options);
  const { content, path, ...rest } = options;
  const bytes = content !== undefined ? (typeof content === 'string' ? new TextEncoder().encode(content) : content) : readFileSync(path!);
  const data = {
    name: options.name,
    kind: 'imported' as const,
    taskKind: ds.info.kind,
    labels: ds.info.labels.length ? ds.info.labels : undefined,
    sizes: ds.info.sizes,
    location: path ? resolve(path) : `sha256:${ds.contentSha256}`,
    contentHash: ds.contentSha256,
    importOptions: { ...rest, name: options.name } as object,
  };
  const row = await upsertDatasetWithContent(db, data, bytes);
  return { dataset: row, info: ds.info };
}
