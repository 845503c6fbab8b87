/**
 * The optimisation history as an inline SVG for the HTML report: the best objective so far
 * (a step line) and each completed trial's value (grey dots) against the trial index, as the
 * dashboard's history chart draws it. Marks carry class "mark", like the other charts.
 */
import { bestSoFar } from '@peft-lab/sweeps';
import { sweepStrategy } from './analysis.js';
import type { Chart } from './html-charts.js';
import { trialMetric, type ReportInput } from './input.js';
import { DEFAULT_FRAME, escapeXml, legend, linearScale, plotArea, r2, svgDocument, xAxis, yAxis } from './svg.js';

const BEST = '#0072B2';
const TRIAL = '#999999';

export function historyChart(input: ReportInput): Chart {
  const id = 'history';
  const { metric, direction } = input.objective;
  const title = `Optimisation history (strategy ${sweepStrategy(input)})`;
  const points = bestSoFar(input.trials.map((t) => ({ index: t.index, value: trialMetric(t, metric), status: t.status })), direction);
  const drawn = points.filter((p) => p.best !== null);
  if (drawn.length === 0) return { id, title, svg: null, caption: `Not drawn: no completed trial reported ${metric}.` };
  const f = DEFAULT_FRAME;
  const a = plotArea(f);
  const values = points.flatMap((p) => [p.value, p.best]).filter((v): v is number => v !== null);
  const first = points[0].index;
  const last = points[points.length - 1].index;
  const x = linearScale(first, Math.max(last, first + 1), a.x0, a.x1);
  const y = linearScale(Math.min(...values), Math.max(...values), a.y0, a.y1);
  const parts = [xAxis(f, x, 'trial index (suggestion order)'), yAxis(f, y, `${metric} (objective)`)];
  for (const p of points) {
    if (p.value === null) continue;
    parts.push(`<circle class="mark trial" cx="${r2(x(p.index))}" cy="${r2(y(p.value))}" r="3" fill="${TRIAL}"><title>${escapeXml(`trial #${p.index}: ${metric} ${p.value}`)}</title></circle>`);
  }
  // a step line: level until the next improvement, up (or down) at it
  const steps: string[] = [];
  drawn.forEach((p, i) => {
    if (i > 0) steps.push(`${r2(x(p.index))},${r2(y(drawn[i - 1].best!))}`);
    steps.push(`${r2(x(p.index))},${r2(y(p.best!))}`);
  });
  steps.push(`${r2(x(last))},${r2(y(drawn[drawn.length - 1].best!))}`);
  parts.push(`<polyline class="mark best" fill="none" stroke="${BEST}" stroke-width="2" points="${steps.join(' ')}"><title>${escapeXml(`best ${metric} so far`)}</title></polyline>`);
  parts.push(legend(f, [{ label: 'best so far', color: BEST, kind: 'line' }, { label: `trial ${metric}`, color: TRIAL, kind: 'dot' }]));
  const caption = `Best ${metric} so far (${direction === 'maximize' ? 'highest' : 'lowest'}) after each trial, by trial index; grey: each completed trial's own value.`;
  return { id, title, caption, svg: svgDocument(f, id, title, parts.join('')) };
}
