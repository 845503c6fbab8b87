/**
 * The self-contained HTML report: inline CSS and inline SVG only — no script,
 * no font, no image, no link to anything outside the file, so it opens
 * offline and prints to PDF as it looks on screen.
 */
import type { SweepAggregate } from './aggregate.js';
import { VERDICT_TEXT, formatClaimMeasurement, type ClaimResult } from './claims.js';
import { costChart, learningCurveCharts, paretoChart, type Chart } from './html-charts.js';
import type { ReportInput } from './input.js';
import { historySource, historyTable, importanceSource, importanceTables, type ImportanceTable } from './analysis.js';
import { historyChart } from './history-chart.js';
import { reportTitle, sweepSummary } from './report-text.js';
import { resultsTable, statusTable, type ResultsTable } from './results-table.js';
import { escapeXml as esc } from './svg.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;max-width:1100px;margin:2em auto;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dl.summary dt{font-weight:600}dl.summary dd{margin:0}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}th,td{border-bottom:1px solid #e3e3e3;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0;page-break-inside:avoid}figcaption{color:#555;font-size:12.5px;max-width:640px}
svg.chart{max-width:100%;height:auto;font-size:11px}svg .axis line,svg line.axis{stroke:#444}svg .axis line.grid{stroke:#e8e8e8}
svg .axis-label{font-size:12px;fill:#333}svg text{fill:#333}
.verdict{display:inline-block;padding:0 .5em;border-radius:3px;font-weight:600;white-space:nowrap}
.verdict-supported{background:#dff3e0;color:#1b5e20}.verdict-not-supported{background:#fde2e1;color:#8e1c14}.verdict-not-measured{background:#eee;color:#555}
.missing{color:#8a5a00}.bar{display:inline-block;height:.8em;background:#0072b2}ul.legend{color:#555;font-size:12.5px}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}}
`;

function tableHtml(t: Pick<ResultsTable, 'header' | 'rows'>, numericFrom: number): string {
  const head = `<tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function figure(c: Chart): string {
  if (!c.svg) return `<figure id="chart-${esc(c.id)}" class="chart-missing"><p class="missing"><strong>${esc(c.title)}:</strong> ${esc(c.caption)}</p></figure>`;
  return `<figure id="chart-${esc(c.id)}">\n${c.svg}\n<figcaption><strong>${esc(c.title)}.</strong> ${esc(c.caption)}</figcaption>\n</figure>`;
}

function importanceHtml(t: ImportanceTable): string {
  if (t.message) return `<h3>${esc(t.scope)}</h3>\n<p class="missing">${esc(t.message)}.</p>`;
  const head = `<tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}<th>Share</th></tr>`;
  const body = t.rows
    .map((r, i) => `<tr>${r.map((c, j) => `<td${j > 0 ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}<td><span class="bar" style="width:${Math.round(t.shares[i] * 200)}px"></span></td></tr>`)
    .join('\n');
  const note = t.unscored ? `\n<p class="missing">${esc(t.unscored)}</p>` : '';
  return `<h3>${esc(t.scope)}</h3>\n<table class="importance">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>${note}`;
}

function claimsHtml(claims: ClaimResult[]): string {
  const rows = claims
    .map(
      (c) =>
        `<tr id="claim-${esc(c.id)}"><td>${esc(c.text)}</td><td><span class="verdict verdict-${c.verdict}">${esc(VERDICT_TEXT[c.verdict])}</span></td><td>${c.measured.length ? `<ul>${c.measured.map((m) => `<li>${esc(formatClaimMeasurement(m))}</li>`).join('')}</ul>` : '—'}</td><td><p><em>Threshold:</em> ${esc(c.threshold)}</p><p><em>Reasoning:</em> ${esc(c.reasoning)}</p></td></tr>`,
    )
    .join('\n');
  return `<table class="claims">\n<thead><tr><th>Claim</th><th>Verdict</th><th>Measured</th><th>Threshold and reasoning</th></tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`;
}

export function renderHtml(input: ReportInput, agg: SweepAggregate, claims: ClaimResult[]): string {
  const title = reportTitle(input);
  const results = resultsTable(agg);
  const history = historyTable(input);
  const charts = [paretoChart(input, agg), ...learningCurveCharts(input, agg), costChart(agg)];
  const summary = sweepSummary(input, agg)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('');
  const missing = agg.missing.length
    ? `<ul class="missing">${agg.missing.map((m) => `<li>${esc(m)}</li>`).join('')}</ul>`
    : '<p>Nothing is missing: every trial completed and reported every measurement.</p>';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<section id="summary">
<h2>Sweep summary</h2>
<dl class="summary">${summary}</dl>
</section>
<section id="results">
<h2>Results per method</h2>
${results.rows.length ? tableHtml(results, 2) : '<p class="missing">No trials.</p>'}
<ul class="legend">${results.legend.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>
<h3>Trials by status</h3>
${tableHtml(statusTable(agg), 1)}
</section>
<section id="charts">
<h2>Charts</h2>
${charts.map(figure).join('\n')}
</section>
<section id="importance">
<h2>Hyperparameter importance</h2>
<p>${esc(importanceSource(input))}</p>
${importanceTables(input).map(importanceHtml).join('\n')}
</section>
<section id="history">
<h2>Optimisation history</h2>
<p>${esc(historySource(input))}</p>
${figure(historyChart(input))}
${history.rows.length ? tableHtml(history, 0) : '<p class="missing">No trials.</p>'}
</section>
<section id="claims">
<h2>Claims check</h2>
${claimsHtml(claims)}
</section>
<section id="missing">
<h2>Missing data</h2>
${missing}
</section>
</body>
</html>
`;
}
