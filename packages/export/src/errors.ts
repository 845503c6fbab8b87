/**
 * Errors of @peft-lab/export. Messages name the trial, what was asked and why it cannot be
 * given, and what can be downloaded instead; the API maps the code to 422, the CLI to exit 2.
 */
import { PeftLabError } from '@peft-lab/errors';

export { PeftLabError };

/** The trial exists but has nothing to export in the asked form (not completed, a method that does not merge, no stored full model). → 422 */
export class ExportUnavailableError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly trialId: string, readonly format: string, reason: string, options?: { cause?: unknown }) {
    super('EXPORT_UNAVAILABLE', `trial ${JSON.stringify(trialId)}: no ${format} export: ${reason}`, options);
  }
}
