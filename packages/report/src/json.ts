/**
 * JSON export, versioned: `formatVersion` changes whenever a field is renamed
 * or removed (additions keep the version). The shape is documented in the
 * README ("JSON shape").
 */
import type { ClaimResult } from './claims.js';
import type { SweepAggregate } from './aggregate.js';
import type { ReportInput } from './input.js';

export const JSON_FORMAT_VERSION = 1;

export interface ReportJson {
  formatVersion: typeof JSON_FORMAT_VERSION;
  sweep: ReportInput['sweep'];
  objective: ReportInput['objective'];
  trials: ReportInput['trials'];
  methods: SweepAggregate['methods'];
  absentMethods: SweepAggregate['absentMethods'];
  claims: ClaimResult[];
  missing: string[];
}

export function buildReportJson(input: ReportInput, agg: SweepAggregate, claims: ClaimResult[]): ReportJson {
  return {
    formatVersion: JSON_FORMAT_VERSION,
    sweep: input.sweep,
    objective: input.objective,
    trials: [...input.trials].sort((a, b) => a.index - b.index),
    methods: agg.methods,
    absentMethods: agg.absentMethods,
    claims,
    missing: agg.missing,
  };
}

export function renderJson(input: ReportInput, agg: SweepAggregate, claims: ClaimResult[]): string {
  return `${JSON.stringify(buildReportJson(input, agg, claims), null, 2)}\n`;
}
