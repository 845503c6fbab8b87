/** Markdown report: summary, results table per method, trial statuses, claims check, missing data. */
import type { SweepAggregate } from './aggregate.js';
import { VERDICT_TEXT, formatClaimMeasurement, type ClaimResult } from './claims.js';
import type { ReportInput } from './input.js';
import { historySource, historyTable, importanceSource, importanceTables } from './analysis.js';
import { reportTitle, sweepSummary } from './report-text.js';
import { resultsTable, statusTable, type ResultsTable } from './results-table.js';

/** Pipes end a cell and newlines end a row: escape / flatten them. */
export function escapeMarkdownCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(t: Pick<ResultsTable, 'header' | 'rows'>, align?: ('l' | 'r')[]): string {
  const line = (cells: string[]) => `| ${cells.map(escapeMarkdownCell).join(' | ')} |`;
  const sep = `|${t.header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(t.header), sep, ...t.rows.map(line)].join('\n');
}

export function renderMarkdown(input: ReportInput, agg: SweepAggregate, claims: ClaimResult[]): string {
  const out: string[] = [];
  out.push(`# ${reportTitle(input)}`, '');
  for (const [k, v] of sweepSummary(input, agg)) out.push(`- **${k}:** ${v}`);
  out.push('', '## Results per method', '');
  const results = resultsTable(agg);
  out.push(results.rows.length ? table(results, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']) : '_No trials._');
  out.push('', ...results.legend.map((l) => `- ${l}`));
  out.push('', '## Trials by status', '');
  const status = statusTable(agg);
  out.push(status.rows.length ? table(status, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']) : '_No trials._');
  out.push('', '## Hyperparameter importance', '', importanceSource(input));
  for (const t of importanceTables(input)) {
    out.push('', `### ${t.scope}`, '');
    if (t.message) out.push(`_${t.message}._`);
    else out.push(table({ header: [...t.header, 'Share'], rows: t.rows.map((r, i) => [...r, '█'.repeat(Math.round(t.shares[i] * 20))]) }, ['l', 'r', 'r', 'l']));
    if (t.unscored) out.push('', t.unscored);
  }
  out.push('', '## Optimisation history', '', historySource(input), '');
  const history = historyTable(input);
  out.push(history.rows.length ? table(history, ['r', 'r']) : '_No trials._');
  out.push('', '## Claims check', '');
  out.push(
    table({
      header: ['Claim', 'Verdict', 'Measured', 'Threshold', 'Reasoning'],
      rows: claims.map((c) => [c.text, VERDICT_TEXT[c.verdict], c.measured.map(formatClaimMeasurement).join('; ') || '—', c.threshold, c.reasoning]),
    }),
  );
  out.push('', '## Missing data', '');
  out.push(agg.missing.length ? agg.missing.map((m) => `- ${m}`).join('\n') : 'Nothing is missing: every trial completed and reported every measurement.');
  return `${out.join('\n')}\n`;
}
