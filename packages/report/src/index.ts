export { renderReport, reportFileName, isReportFormat, REPORT_FORMATS, REPORT_CONTENT_TYPES, type ReportFormat, type RenderOptions } from './render.js';
export {
  parseReportInput,
  reportInputSchema,
  trialInputSchema,
  measurementsSchema,
  trialMetric,
  configKey,
  METHODS,
  TRIAL_STATUSES,
  type ReportInput,
  type ReportInputLike,
  type TrialInput,
  type Measurements,
  type Method,
  type TrialStatus,
  type HyperparameterValue,
} from './input.js';
export { aggregateSweep, COST_MEASURES, METHOD_NAMES, type SweepAggregate, type MethodAggregate, type ConfigurationAggregate, type CostMeasure, type Costs } from './aggregate.js';
export { checkClaims, DEFAULT_CLAIMS_OPTIONS, VERDICT_TEXT, type ClaimResult, type ClaimVerdict, type ClaimMeasurement, type ClaimsOptions } from './claims.js';
export { renderCsv } from './csv.js';
export { renderJson, buildReportJson, JSON_FORMAT_VERSION, type ReportJson } from './json.js';
export { renderMarkdown } from './markdown.js';
export { renderLatex, escapeLatex } from './latex.js';
export { renderHtml } from './html.js';
export { renderPdf, CHROMIUM_ARGS } from './pdf.js';
export { PeftLabError, ReportInputError, UnknownReportFormatError, PdfRenderError } from './errors.js';
