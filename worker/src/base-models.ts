// The base-model registry: a local Hugging Face checkpoint directory, checked without
// loading a weight (`checkHfCheckpoint`), recorded as a BaseModel row with what the check
// found and the host whose filesystem its path is on. Sweeps then name it; workers resolve
// the row (resolve.ts) and fail a trial naming the path and both hosts when it is not there.
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { checkHfCheckpoint, type CheckpointCheck } from '@peft-lab/engine';
import { upsertBaseModel, type BaseModel, type Db } from '@peft-lab/db';
import { BaseModelRegistrationError } from './errors.js';

/** What a sweep may call a registered model: it must not read as 'builtin' or a path. */
export const BASE_MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface RegisterBaseModelOptions {
  dir: string;
  /** Default: the directory's basename. */
  name?: string;
  /** Replace a row of the same name that points at another directory (or host). */
  force?: boolean;
  /** The result of `checkHfCheckpoint(dir)` when the caller ran it already. */
  check?: CheckpointCheck;
}

export interface RegisteredBaseModel {
  model: BaseModel;
  check: CheckpointCheck;
  /** 'created'; 'updated' (same name, directory and host: the record refreshed); 'replaced' (with force). */
  action: 'created' | 'updated' | 'replaced';
  /** The row as it was before, when one existed. */
  previous: BaseModel | null;
}

export function validateBaseModelName(name: string): void {
  if (name === 'builtin') throw new BaseModelRegistrationError('name "builtin": reserved for the packaged model; choose another name');
  if (!BASE_MODEL_NAME.test(name)) {
    throw new BaseModelRegistrationError(`name ${JSON.stringify(name)}: must start with a letter or digit and hold only letters, digits, '.', '_' and '-' (at most 128)`);
  }
}

/**
 * Checks `dir` and registers it (create, or update the row of the same name).
 * @throws CheckpointValidationError naming the file and tensor; BaseModelRegistrationError for a
 *   bad name or a name registered for another directory or host (unless `force`). Nothing is
 *   written when it throws.
 */
export async function registerBaseModel(db: Db, o: RegisterBaseModelOptions): Promise<RegisteredBaseModel> {
  const dir = resolve(o.dir);
  const name = o.name ?? basename(dir);
  validateBaseModelName(name);
  const check = o.check ?? checkHfCheckpoint(dir);
  const host = hostname();
  const previous = await db.baseModel.findUnique({ where: { name } });
  const same = previous !== null && previous.source === 'hf_dir' && previous.location === dir && (previous.host ?? host) === host;
  if (previous && !same && !o.force) {
    const where = previous.source === 'builtin' ? 'the built-in model' : `${previous.location}${previous.host ? ` on host ${previous.host}` : ''}`;
    throw new BaseModelRegistrationError(`name ${JSON.stringify(name)} is already registered for ${where}; register ${dir} under another --name, or pass --force to replace it`);
  }
  const model = await upsertBaseModel(db, {
    name, family: check.family, source: 'hf_dir', location: dir, config: check.raw,
    parameterCount: BigInt(check.parameterCount), dtype: check.dtype, bytesOnDisk: BigInt(check.bytesOnDisk), host,
  });
  return { model, check, action: !previous ? 'created' : same ? 'updated' : 'replaced', previous };
}
