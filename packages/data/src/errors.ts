/**
 * Errors thrown by @peft-lab/data. Messages name the argument or field and the
 * bad value so a CLI or HTTP caller can show them as they are.
 */
import { PeftLabError } from '@peft-lab/errors';

export { PeftLabError };

/** `loadTask('nope')`: the message lists the task names that exist. */
export class UnknownTaskError extends PeftLabError {
  readonly badInput = true;
  constructor(
    readonly taskName: string,
    readonly knownTasks: readonly string[],
  ) {
    super('UNKNOWN_TASK', `unknown task "${taskName}"; built-in tasks: ${knownTasks.join(', ')}`);
  }
}

/** A packaged corpus is missing or not in the shape this package expects. */
export class CorpusError extends PeftLabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CORPUS', message, options);
  }
}

/** One problem found in a user dataset; `row` is 1-based (data rows, header not counted). */
export interface DatasetIssue {
  row?: number;
  column?: string;
  message: string;
}

/**
 * A user dataset failed validation. `issues` lists every problem found (capped),
 * and the message shows the first few so a log line is useful on its own.
 */
export class DatasetValidationError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly issues: readonly DatasetIssue[]) {
    const shown = issues.slice(0, 5).map((i) => i.message);
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
    super('DATASET_INVALID', `dataset is invalid: ${shown.join('; ')}${more}`);
  }
}

/** Bad tokenizer input (a malformed tokenizer.json, a vocabulary size too small). */
export class TokenizerError extends PeftLabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOKENIZER', message, options);
  }
}
