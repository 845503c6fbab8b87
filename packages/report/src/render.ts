/**
 * The package's main entry: validated input in, one report string out.
 *
 * @example
 * const html = renderReport(input, 'html');
 * fs.writeFileSync(reportFileName(input.sweep, 'html'), html);
 */
import { aggregateSweep } from './aggregate.js';
import { checkClaims, type ClaimsOptions } from './claims.js';
import { renderCsv } from './csv.js';
import { UnknownReportFormatError } from './errors.js';
import { renderHtml } from './html.js';
import { parseReportInput, type ReportInput } from './input.js';
import { renderJson } from './json.js';
import { renderLatex } from './latex.js';
import { renderMarkdown } from './markdown.js';

export const REPORT_FORMATS = ['csv', 'json', 'md', 'tex', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const REPORT_CONTENT_TYPES: Record<ReportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  tex: 'application/x-tex; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

export interface RenderOptions {
  claims?: ClaimsOptions;
}

export function isReportFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}

/**
 * Render a sweep report. `input` is validated here (the edge), so callers can
 * pass what they read from the database, Dates included.
 * @throws ReportInputError when the input does not match the schema; UnknownReportFormatError for a bad format.
 */
export function renderReport(input: unknown, format: ReportFormat | string, options: RenderOptions = {}): string {
  if (!isReportFormat(format)) throw new UnknownReportFormatError(format, REPORT_FORMATS);
  const data: ReportInput = parseReportInput(input);
  if (format === 'csv') return renderCsv(data);
  const agg = aggregateSweep(data);
  if (format === 'tex') return renderLatex(data, agg);
  const claims = checkClaims(data, agg, options.claims);
  if (format === 'json') return renderJson(data, agg, claims);
  if (format === 'md') return renderMarkdown(data, agg, claims);
  return renderHtml(data, agg, claims);
}

/** A file name for a sweep's report: `peft-lab-<name>-<id8>.<ext>`, safe on every filesystem. */
export function reportFileName(sweep: { id: string; name: string }, format: ReportFormat | 'pdf'): string {
  const slug = sweep.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'sweep';
  const id = sweep.id.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
  return `peft-lab-${slug}${id ? `-${id}` : ''}.${format}`;
}
