/**
 * LaTeX results table (booktabs). Output is a `table` float holding one
 * `tabular`, ready to `\input{}` into a paper whose preamble loads booktabs.
 */
import type { SweepAggregate } from './aggregate.js';
import type { ReportInput } from './input.js';
import { resultsTable } from './results-table.js';

const SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
};
// Unicode that the text formats print but plain pdflatex cannot typeset without extra packages.
const UNICODE: Record<string, string> = {
  '±': '$\\pm$',
  'Δ': '$\\Delta$',
  '×': '$\\times$',
  '—': '---',
  '–': '--',
  '…': '\\ldots{}',
  '≥': '$\\geq$',
  '≤': '$\\leq$',
  'µ': '$\\mu$',
  '³': '$^3$',
};

/** Escape LaTeX specials (& % $ # _ { } ~ ^ \) and map the few Unicode symbols reports use; drop other non-ASCII. */
export function escapeLatex(s: string): string {
  return s.replace(/[\\&%$#_{}~^]|[^\x00-\x7f]/g, (ch) => SPECIALS[ch] ?? UNICODE[ch] ?? '?');
}

export function renderLatex(input: ReportInput, agg: SweepAggregate): string {
  const t = resultsTable(agg);
  const cols = 'l p{3.4cm} r r r r r r r r';
  const row = (cells: string[]) => `${cells.map(escapeLatex).join(' & ')} \\\\`;
  const label = `tab:peft-lab-${input.sweep.id.replace(/[^A-Za-z0-9-]/g, '')}`;
  const caption = `PEFT methods against full fine-tuning on ${input.sweep.task} (${input.sweep.baseModel}), sweep ${input.sweep.name}. ${t.legend.join(' ')}`;
  const lines = [
    `% ${escapeLatex(`PEFT Lab results table for sweep ${input.sweep.name} (${input.sweep.id})`)}`,
    '% Requires \\usepackage{booktabs} in the preamble.',
    '\\begin{table}[t]',
    '\\centering',
    '\\small',
    `\\caption{${escapeLatex(caption)}}`,
    `\\label{${label}}`,
    `\\begin{tabular}{${cols}}`,
    '\\toprule',
    row(t.header),
    '\\midrule',
    ...(t.rows.length ? t.rows.map(row) : [`\\multicolumn{${t.header.length}}{l}{${escapeLatex('No trials in this sweep.')}} \\\\`]),
    '\\bottomrule',
    '\\end{tabular}',
  ];
  if (agg.missing.length) {
    lines.push('\\par\\smallskip', '\\begin{minipage}{\\linewidth}\\footnotesize', `\\textit{Missing data:}`, '\\begin{itemize}');
    for (const m of agg.missing) lines.push(`\\item ${escapeLatex(m)}`);
    lines.push('\\end{itemize}', '\\end{minipage}');
  }
  lines.push('\\end{table}');
  return `${lines.join('\n')}\n`;
}
