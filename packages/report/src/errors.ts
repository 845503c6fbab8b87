/**
 * Errors thrown by @peft-lab/report. Messages name the field (as a path) and
 * the bad value so the CLI and the API can show them as they are.
 */

/** Base class shared by the PEFT Lab packages (each package keeps its own copy; match on `name`/`code`). */
export class PeftLabError extends Error {
  readonly code: string;
  constructor(message: string, code = 'PEFT_LAB_ERROR') {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The plain data handed to a report does not match `reportInputSchema`; `lines` holds one `path: problem` line per issue. */
export class ReportInputError extends PeftLabError {
  readonly lines: string[];
  constructor(lines: string[]) {
    super(`invalid report input:\n  ${lines.join('\n  ')}`, 'REPORT_INPUT_INVALID');
    this.lines = lines;
  }
}

/** An export format this package does not write. */
export class UnknownReportFormatError extends PeftLabError {
  readonly format: string;
  constructor(format: string, known: readonly string[]) {
    super(`format: unknown report format "${format}" (expected one of ${known.join(', ')})`, 'REPORT_FORMAT_UNKNOWN');
    this.format = format;
  }
}

/** Chromium could not be started or could not print the page to PDF. */
export class PdfRenderError extends PeftLabError {
  constructor(message: string) {
    super(message, 'REPORT_PDF_FAILED');
  }
}
