// A sweep spec → a Sweep row and its queued Trial rows. Checks up front that the
// base model and task exist, so a typo fails at submission (exit 2), not in every trial.
import { parse as parseYaml } from 'yaml';
import { createSweepWithTrials, type Db, type NewTrial } from '@peft-lab/db';
import { parseSweepSpec, trialRecords, validateSweepSpec, type SweepSpec } from '@peft-lab/sweeps';
import { resolveBaseModel, resolveTask } from './resolve.js';

export interface SubmitSweepOptions {
  /** Lease expiries a trial survives before it fails; default 5 (a chaos run kills workers on purpose). */
  maxAttempts?: number;
  /** Skip the base model / task existence checks (tests of the queue alone). */
  skipResourceCheck?: boolean;
}

/** Trial rows for a validated spec (the shared layout: see `trialRecords` in @peft-lab/sweeps). */
export function newTrialsFromSpec(spec: SweepSpec, opts: { maxAttempts?: number } = {}): NewTrial[] {
  return trialRecords(spec, opts) as NewTrial[];
}

/**
 * Validates and stores a sweep (YAML/JSON text or an already parsed object).
 * @throws SpecSyntaxError, SpecValidationError, TrialSetupError (unknown model or task); nothing is stored then.
 */
export async function submitSweep(db: Db, source: string | Record<string, unknown>, opts: SubmitSweepOptions = {}) {
  let raw: Record<string, unknown>;
  let spec: SweepSpec;
  if (typeof source === 'string') {
    spec = parseSweepSpec(source);
    raw = parseYaml(source) as Record<string, unknown>;
  } else {
    spec = validateSweepSpec(source);
    raw = source;
  }
  let baseModelId: string | undefined;
  let datasetId: string | undefined;
  if (!opts.skipResourceCheck) {
    // A registered name needs only its row here: the sweep may run on the hosts that hold it.
    const model = await resolveBaseModel(db, spec.baseModel, null, { checkFiles: false });
    const task = await resolveTask(db, spec.task);
    baseModelId = model.baseModelId ?? undefined;
    datasetId = task.datasetId ?? undefined;
  }
  const trials = newTrialsFromSpec(spec, opts);
  const { sweep, trialIds } = await createSweepWithTrials(
    db,
    { name: spec.name, spec: raw, task: spec.task, baseModelId, datasetId, maxParallel: spec.budget.maxParallel },
    trials,
  );
  return { sweep, trialIds, spec };
}
