/**
 * Errors of the training loop and its helpers. Messages name the argument or
 * field and the bad value.
 */
import { PeftLabError } from '../errors.js';

export class TrainingConfigError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly field: string, readonly value: unknown, why: string) {
    super('TRAINING_CONFIG', `${field} = ${JSON.stringify(value)}: ${why}`);
  }
}

/** A checkpoint that does not fit the run it should resume (shape, name or format). */
export class CheckpointMismatchError extends PeftLabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHECKPOINT_MISMATCH', message, options);
  }
}

/** A dataset file that cannot be read as the documented JSONL shape. */
export class DatasetFormatError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly file: string, readonly line: number, why: string) {
    super('DATASET_FORMAT', `${file}:${line}: ${why}`);
  }
}
