// Where a sweep's base model and task come from. A base model is a Hugging Face
// checkpoint directory: the built-in one (packages/data/builtin-model, once
// pretrained), a registered BaseModel row, or a local path. A task is a built-in
// one (@peft-lab/data) or a Dataset row whose file content is stored in the database.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { BUILTIN_MODEL_DIR, importDataset, isBuiltinTask, listTasks, loadTask, type ImportDatasetOptions, type LoadedTask } from '@peft-lab/data';
import { readDatasetContent, upsertDatasetWithContent, type Db } from '@peft-lab/db';
import { BaseModelUnavailableError, TrialSetupError } from './errors.js';

export interface ResolvedModel {
  /** What the spec or row calls it. */
  name: string;
  dir: string;
  baseModelId: string | null;
}

export function builtinModelAvailable(): boolean {
  return existsSync(join(BUILTIN_MODEL_DIR, 'model.safetensors'));
}

const isHfDir = (dir: string) => existsSync(join(dir, 'config.json'));

export interface ResolveBaseModelOptions {
  /**
   * Check that a registered model's directory is on this host (default true: the worker,
   * about to load it). Submitting a sweep passes false: it may run on other machines.
   */
  checkFiles?: boolean;
}

/**
 * @param name the spec's `baseModel` ('builtin', a registered name, or a directory).
 * @param baseModelId the sweep's registered model, when it has one (wins).
 * @throws BaseModelUnavailableError when a registered model's directory is not on this host
 *   (naming the path, this host and the host it was registered on); TrialSetupError naming
 *   the model and what to do otherwise.
 */
export async function resolveBaseModel(db: Db, name: string, baseModelId?: string | null, opts: ResolveBaseModelOptions = {}): Promise<ResolvedModel> {
  const row = baseModelId
    ? await db.baseModel.findUnique({ where: { id: baseModelId } })
    : await db.baseModel.findFirst({ where: { name } });
  if (row) {
    const dir = row.source === 'builtin' ? BUILTIN_MODEL_DIR : row.location;
    if (opts.checkFiles !== false) {
      if (row.source === 'hf_dir' && !existsSync(dir)) throw new BaseModelUnavailableError(row.name, dir, hostname(), row.host);
      if (!isHfDir(dir)) throw new TrialSetupError('baseModel', row.name, `registered at ${dir}, but that directory has no config.json`);
    }
    return { name: row.name, dir, baseModelId: row.id };
  }
  if (name === 'builtin') {
    if (!builtinModelAvailable()) {
      throw new TrialSetupError('baseModel', name, `the built-in model has no weights yet (${join(BUILTIN_MODEL_DIR, 'model.safetensors')} is missing: run \`peft-lab pretrain\`), or name a Hugging Face checkpoint directory / registered model`);
    }
    return { name, dir: BUILTIN_MODEL_DIR, baseModelId: null };
  }
  const dir = isAbsolute(name) ? name : resolve(name);
  if (isHfDir(dir)) return { name, dir, baseModelId: null };
  throw new TrialSetupError('baseModel', name, 'not "builtin", not a registered base model, and not a directory with config.json');
}

export interface ResolvedTask {
  name: string;
  /** Cache key: task name for built-ins, dataset id + content hash for imports. */
  key: string;
  datasetId: string | null;
}

/** @throws TrialSetupError listing the built-in tasks. */
export async function resolveTask(db: Db, name: string, datasetId?: string | null): Promise<ResolvedTask> {
  if (!datasetId && isBuiltinTask(name)) return { name, key: `builtin:${name}`, datasetId: null };
  const row = datasetId
    ? await db.dataset.findUnique({ where: { id: datasetId }, select: { id: true, name: true, contentHash: true } })
    : await db.dataset.findFirst({ where: { name }, select: { id: true, name: true, contentHash: true } });
  if (row) return { name: row.name, key: `dataset:${row.id}:${row.contentHash ?? ''}`, datasetId: row.id };
  throw new TrialSetupError('task', name, `not a built-in task (${listTasks().map((t) => t.name).join(', ')}) nor an imported dataset (peft-lab data import)`);
}

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
