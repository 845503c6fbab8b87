/**
 * Errors of the training loop and its helpers. Messages name the argument or
 * field and the bad value. (Rebased onto the engine's `PeftLabError` once the
 * package-wide `errors.ts` exists.)
 */
export class TrainingConfigError extends Error {
  constructor(field: string, value: unknown, why: string) {
    super(`${field} = ${JSON.stringify(value)}: ${why}`);
    this.name = 'TrainingConfigError';
  }
}

/** A checkpoint that does not fit the run it should resume (shape, name or format). */
export class CheckpointMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointMismatchError';
  }
}

/** A dataset file that cannot be read as the documented JSONL shape. */
export class DatasetFormatError extends Error {
  constructor(file: string, line: number, why: string) {
    super(`${file}:${line}: ${why}`);
    this.name = 'DatasetFormatError';
  }
}
