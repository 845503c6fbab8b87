// A sweep spec → a Sweep row and its queued Trial rows: the one way every caller (the HTTP
// API, the CLI, tests) submits a sweep. The stored spec is the parsed one (validated by
// @peft-lab/sweeps, defaults applied), whatever form it came in; the trials are
// `trialRecords` of it. Base model and task are checked here, with the same resolver the
// worker uses when a trial starts, so a typo fails at submission, not in every trial.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { BUILTIN_MODEL_DIR, builtinModelAvailable, isBuiltinTask, listTasks } from '@peft-lab/data/catalog';
import { parseSweepSpec, trialRecords, validateSweepSpec, type SweepSpec } from '@peft-lab/sweeps';
import type { Db } from './client';
import { BaseModelUnavailableError, SweepResourceError } from './errors';
import type { Sweep } from './generated/client';
import { createSweepWithTrials } from './queries';
import type { NewTrial } from './queue/inputs';

export interface ResolvedModel {
  /** What the spec or the registered row calls it. */
  name: string;
  /** The checkpoint directory (on the host that registered it, for a registered model). */
  dir: string;
  baseModelId: string | null;
}

export interface ResolveBaseModelOptions {
  /**
   * Check that a registered model's directory is on this host (default true: the worker,
   * about to load it). Submitting a sweep passes false: it may run on other machines.
   */
  checkFiles?: boolean;
}

const isHfDir = (dir: string) => existsSync(join(dir, 'config.json'));

/**
 * Where a sweep's base model is: a registered BaseModel row (the sweep's own, or one named
 * `name`), else `builtin` (packages/data/builtin-model, once it has weights), else a local
 * Hugging Face checkpoint directory.
 * @param name the spec's `baseModel`
 * @param baseModelId the sweep's registered model, when it has one (wins)
 * @throws BaseModelUnavailableError when a registered model's directory is not on this host
 *   (naming the path, this host and the host it was registered on); SweepResourceError
 *   (`baseModel: …`) naming the model and what to do otherwise.
 */
export async function resolveBaseModel(db: Db, name: string, baseModelId?: string | null, opts: ResolveBaseModelOptions = {}): Promise<ResolvedModel> {
  const row = baseModelId
    ? await db.baseModel.findUnique({ where: { id: baseModelId } })
    : await db.baseModel.findFirst({ where: { name } });
  if (row) {
    const dir = row.source === 'builtin' ? BUILTIN_MODEL_DIR : row.location;
    if (opts.checkFiles !== false) {
      if (row.source === 'hf_dir' && !existsSync(dir)) throw new BaseModelUnavailableError(row.name, dir, hostname(), row.host);
      if (!isHfDir(dir)) throw new SweepResourceError('baseModel', `${JSON.stringify(row.name)} is registered at ${dir}, but that directory has no config.json`);
    }
    return { name: row.name, dir, baseModelId: row.id };
  }
  if (name === 'builtin') {
    if (!builtinModelAvailable()) {
      throw new SweepResourceError('baseModel', `the built-in model has no weights yet (${join(BUILTIN_MODEL_DIR, 'model.safetensors')} is missing: run \`peft-lab pretrain\`); or name a registered model or a Hugging Face checkpoint directory`);
    }
    return { name, dir: BUILTIN_MODEL_DIR, baseModelId: null };
  }
  const dir = isAbsolute(name) ? name : resolve(name);
  if (isHfDir(dir)) return { name, dir, baseModelId: null };
  throw new SweepResourceError('baseModel', `unknown base model ${JSON.stringify(name)}: not "builtin", not a registered base model (peft-lab model add) and not a directory with config.json`);
}

export interface ResolvedTask {
  name: string;
  /** Cache key: task name for built-ins, dataset id + content hash for imports. */
  key: string;
  datasetId: string | null;
}

/**
 * A built-in task (@peft-lab/data) or an imported Dataset row (by name or id).
 * @param datasetId the sweep's dataset, when it has one (wins)
 * @throws SweepResourceError (`task: unknown task "x" (built-in: …; imported: …)`)
 */
export async function resolveTask(db: Db, name: string, datasetId?: string | null): Promise<ResolvedTask> {
  if (!datasetId && isBuiltinTask(name)) return { name, key: `builtin:${name}`, datasetId: null };
  const select = { id: true, name: true, contentHash: true } as const;
  const row = datasetId
    ? await db.dataset.findUnique({ where: { id: datasetId }, select })
    : await db.dataset.findFirst({ where: { OR: [{ name }, { id: name }] }, select });
  if (row) return { name: row.name, key: `dataset:${row.id}:${row.contentHash ?? ''}`, datasetId: row.id };
  const imported = (await db.dataset.findMany({ select: { name: true }, orderBy: { name: 'asc' }, take: 50 })).map((d) => d.name);
  throw new SweepResourceError('task', `unknown task ${JSON.stringify(name)} (built-in: ${listTasks().map((t) => t.name).join(', ')}; imported: ${imported.length ? imported.join(', ') : 'none, see peft-lab data import'})`);
}

/** Trial rows for a validated spec (the shared layout: `trialRecords` of @peft-lab/sweeps). */
export function newTrialsFromSpec(spec: SweepSpec, opts: { maxAttempts?: number } = {}): NewTrial[] {
  return trialRecords(spec, opts) as NewTrial[];
}

export interface SubmitSweepOptions {
  /** Lease expiries a trial survives before it fails; default 5 (a chaos run kills workers on purpose). */
  maxAttempts?: number;
  /** Text only: 'yaml' (default; JSON is YAML too) or strict 'json'. */
  format?: 'yaml' | 'json';
  /** Skip the base model / task checks (tests of the queue alone). */
  skipResourceCheck?: boolean;
}

/**
 * Validates and stores a sweep given as YAML/JSON text or as an object (raw or already
 * validated); the row holds the parsed spec either way.
 * A registered base model needs only its row here (its directory may be on the hosts that run it).
 * @throws SpecSyntaxError, SpecValidationError, SweepResourceError (unknown model or task); nothing is stored then.
 */
export async function submitSweep(db: Db, source: string | object, opts: SubmitSweepOptions = {}): Promise<{ sweep: Sweep; trialIds: string[]; spec: SweepSpec }> {
  const spec = typeof source === 'string' ? parseSweepSpec(source, opts.format) : validateSweepSpec(source);
  let baseModelId: string | undefined;
  let datasetId: string | undefined;
  if (!opts.skipResourceCheck) {
    // A registered name needs only its row here: the sweep may run on the hosts that hold it.
    const [model, task] = await Promise.all([resolveBaseModel(db, spec.baseModel, null, { checkFiles: false }), resolveTask(db, spec.task)]);
    baseModelId = model.baseModelId ?? undefined;
    datasetId = task.datasetId ?? undefined;
  }
  const { sweep, trialIds } = await createSweepWithTrials(
    db,
    { name: spec.name, spec: spec as unknown as Record<string, unknown>, task: spec.task, baseModelId, datasetId, maxParallel: spec.budget.maxParallel },
    newTrialsFromSpec(spec, opts),
  );
  return { sweep, trialIds, spec };
}
