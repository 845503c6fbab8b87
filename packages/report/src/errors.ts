/**
 * Errors thrown by @peft-lab/report. Messages name the field (as a path) and
 * the bad value so the CLI and the API can show them as they are.
 */

import { PeftLabError } from '@peft-lab/errors';

export { PeftLabError };

/** The plain data handed to a report does not match `reportInputSchema`; `lines` holds one `path: problem` line per issue. */
export class ReportInputError extends PeftLabError {
  readonly lines: string[];
  constructor(lines: string[]) {
    super('REPORT_INPUT_INVALID', `invalid report input:\n  ${lines.join('\n  ')}`);
    this.lines = lines;
  }
}

/** An export format this package does not write. */
export class UnknownReportFormatError extends PeftLabError {
  readonly format: string;
  constructor(format: string, known: readonly string[]) {
    super('REPORT_FORMAT_UNKNOWN', `format: unknown report format "${format}" (expected one of ${known.join(', ')})`);
    this.format = format;
  }
}

/** Chromium could not be started or could not print the page to PDF. */
export class PdfRenderError extends PeftLabError {
  constructor(message: string) {
    super('REPORT_PDF_FAILED', message);
  }
}
