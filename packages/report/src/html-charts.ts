/**
 * The HTML report's charts as inline SVG strings: the Pareto chart (metric vs
 * trainable parameters, log x), learning curves, and costs relative to full
 * fine-tuning. Each returns either an SVG or a sentence saying what data is
 * missing, never an empty chart. Every drawn data element has class "mark"
 * (the browser test counts them).
 */
import { METHOD_NAMES, isBetter, type CostMeasure, type SweepAggregate } from './aggregate.js';
import { METHODS, trialMetric, type Method, type ReportInput } from './input.js';
import { formatCount, formatRatio } from './format-number.js';
import { DEFAULT_FRAME, METHOD_COLORS, escapeXml, legend, linearScale, logScale, plotArea, powerOfTenLabel, r2, svgDocument, xAxis, yAxis, type Frame } from './svg.js';

export interface Chart {
  id: string;
  title: string;
  caption: string;
  /** The SVG, or null when the data for this chart is missing (then `caption` says what). */
  svg: string | null;
}

interface ParetoPoint {
  method: Method;
  params: number;
  metric: number;
  label: string;
}

/** Configurations no other configuration beats on both axes (fewer params and a better metric), sorted by params. */
export function paretoFront<P extends { params: number; metric: number }>(points: P[], direction: 'maximize' | 'minimize'): P[] {
  const sorted = [...points].sort((a, b) => a.params - b.params || (isBetter(a.metric, b.metric, direction) ? -1 : 1));
  const front: P[] = [];
  for (const p of sorted) if (front.length === 0 || isBetter(p.metric, front[front.length - 1].metric, direction)) front.push(p);
  return front;
}

export function paretoChart(input: ReportInput, agg: SweepAggregate): Chart {
  const { metric, direction } = agg.objective;
  const id = 'pareto';
  const title = `${metric} vs trainable parameters`;
  const trials: ParetoPoint[] = [];
  for (const t of input.trials) {
    const v = trialMetric(t, metric);
    const p = t.measurements?.trainableParams;
    if (t.status === 'completed' && v !== null && typeof p === 'number' && p > 0) trials.push({ method: t.method, params: p, metric: v, label: `#${t.index}` });
  }
  const configs: ParetoPoint[] = [];
  for (const m of agg.methods) {
    for (const c of m.configurations) {
      if (c.mean !== null && c.costs.trainableParams !== null && c.costs.trainableParams > 0) configs.push({ method: m.method, params: c.costs.trainableParams, metric: c.mean, label: c.key });
    }
  }
  if (trials.length === 0) {
    return { id, title, svg: null, caption: `Not drawn: no completed trial reported both ${metric} and its trainable parameter count.` };
  }
  const f: Frame = DEFAULT_FRAME;
  const a = plotArea(f);
  const fullMean = agg.baseline?.best?.mean ?? null;
  const ys = trials.map((p) => p.metric).concat(fullMean === null ? [] : [fullMean]);
  const x = logScale(Math.min(...trials.map((p) => p.params)), Math.max(...trials.map((p) => p.params)), a.x0, a.x1, (v) => powerOfTenLabel(v, 'count'));
  const y = linearScale(Math.min(...ys), Math.max(...ys), a.y0, a.y1);
  const front = paretoFront(configs, direction);
  const parts: string[] = [xAxis(f, x, 'trainable parameters (count, log scale)'), yAxis(f, y, `${metric} (${direction === 'maximize' ? 'higher' : 'lower'} is better)`)];
  if (fullMean !== null) {
    parts.push(`<line class="mark reference" x1="${a.x0}" x2="${a.x1}" y1="${r2(y(fullMean))}" y2="${r2(y(fullMean))}" stroke="${METHOD_COLORS.full}" stroke-dasharray="6 4" stroke-width="1.5"><title>full fine-tuning mean ${escapeXml(metric)} ${fullMean.toFixed(4)}</title></line>`);
  }
  if (front.length > 1) {
    parts.push(`<polyline class="mark front" fill="none" stroke="#9467bd" stroke-width="2" points="${front.map((p) => `${r2(x(p.params))},${r2(y(p.metric))}`).join(' ')}"/>`);
  }
  for (const p of front) {
    parts.push(`<circle class="mark front-point" cx="${r2(x(p.params))}" cy="${r2(y(p.metric))}" r="8" fill="none" stroke="#9467bd" stroke-width="2"><title>Pareto front: ${escapeXml(p.label)}</title></circle>`);
  }
  for (const p of trials) {
    parts.push(`<circle class="mark point" cx="${r2(x(p.params))}" cy="${r2(y(p.metric))}" r="4" fill="${METHOD_COLORS[p.method]}" fill-opacity="0.8"><title>${escapeXml(`${METHOD_NAMES[p.method]} ${p.label}: ${p.metric.toFixed(4)} ${metric}, ${formatCount(p.params)} params`)}</title></circle>`);
  }
  const present = METHODS.filter((m) => trials.some((p) => p.method === m));
  parts.push(
    legend(f, [
      ...present.map((m) => ({ label: METHOD_NAMES[m], color: METHOD_COLORS[m], kind: 'dot' as const })),
      { label: 'Pareto front', color: '#9467bd', kind: 'line' as const },
      ...(fullMean !== null ? [{ label: 'full FT mean', color: METHOD_COLORS.full, kind: 'dash' as const }] : []),
    ]),
  );
  const caption = `Each dot is a completed trial. The purple line joins the configurations (means over seeds) that no other configuration beats with fewer trainable parameters.${fullMean === null ? ' No full fine-tuning reference line: the baseline has no result.' : ' Dashed: full fine-tuning mean.'}`;
  return { id, title, caption, svg: svgDocument(f, id, title, parts.join('')) };
}

/** Which series to plot: the objective's eval curve and the training loss, when any trial has them. */
function pickSeries(input: ReportInput, metric: string): string[] {
  const names = new Set<string>();
  for (const t of input.trials) for (const k of Object.keys(t.series ?? {})) if ((t.series![k] ?? []).length > 0) names.add(k);
  const all = [...names].sort();
  const evalName = all.find((n) => n === `eval/${metric}`) ?? all.find((n) => n.startsWith('eval') && n.includes(metric));
  const lossName = all.find((n) => n === 'train/loss') ?? all.find((n) => n.includes('loss'));
  return [evalName, lossName].filter((n): n is string => !!n);
}

export function learningCurveCharts(input: ReportInput, agg: SweepAggregate): Chart[] {
  const names = pickSeries(input, agg.objective.metric);
  if (names.length === 0) {
    return [{ id: 'learning-curve', title: 'Learning curves', svg: null, caption: 'Not drawn: no trial has recorded metric series.' }];
  }
  return names.map((name) => {
    const id = `learning-curve-${name.replace(/[^A-Za-z0-9]+/g, '-')}`;
    const title = `Learning curves: ${name}`;
    // One curve per method: the best configuration's trial with the lowest seed that recorded this series.
    const curves: { method: Method; points: { step: number; value: number }[]; seed: number }[] = [];
    for (const m of agg.methods) {
      const ids = new Set(m.best?.trialIds ?? []);
      const t = input.trials
        .filter((x) => ids.has(x.id) && (x.series?.[name]?.length ?? 0) > 0)
        .sort((p, q) => p.seed - q.seed)[0];
      if (t) curves.push({ method: m.method, seed: t.seed, points: [...t.series![name]].sort((p, q) => p.step - q.step) });
    }
    if (curves.length === 0) return { id, title, svg: null, caption: `Not drawn: no best configuration recorded ${name}.` };
    const f = DEFAULT_FRAME;
    const a = plotArea(f);
    const steps = curves.flatMap((c) => c.points.map((p) => p.step));
    const values = curves.flatMap((c) => c.points.map((p) => p.value));
    const x = linearScale(Math.min(...steps), Math.max(...steps), a.x0, a.x1);
    const y = linearScale(Math.min(...values), Math.max(...values), a.y0, a.y1);
    const parts = [xAxis(f, x, 'training step'), yAxis(f, y, name)];
    for (const c of curves) {
      const pts = c.points.map((p) => `${r2(x(p.step))},${r2(y(p.value))}`).join(' ');
      parts.push(`<polyline class="mark curve" fill="none" stroke="${METHOD_COLORS[c.method]}" stroke-width="2" points="${pts}"><title>${escapeXml(`${METHOD_NAMES[c.method]}, seed ${c.seed}`)}</title></polyline>`);
      // A single-point series would be an invisible polyline: mark its points too.
      for (const p of c.points.length <= 2 ? c.points : []) parts.push(`<circle class="mark" cx="${r2(x(p.step))}" cy="${r2(y(p.value))}" r="3" fill="${METHOD_COLORS[c.method]}"/>`);
    }
    parts.push(legend(f, curves.map((c) => ({ label: METHOD_NAMES[c.method], color: METHOD_COLORS[c.method], kind: 'line' as const }))));
    const missingMethods = agg.methods.filter((m) => !curves.some((c) => c.method === m.method)).map((m) => METHOD_NAMES[m.method]);
    const caption = `Best configuration of each method, lowest seed.${missingMethods.length ? ` No curve for: ${missingMethods.join(', ')}.` : ''}`;
    return { id, title, caption, svg: svgDocument(f, id, title, parts.join('')) };
  });
}

const COST_LABELS: [CostMeasure, string][] = [
  ['trainableParams', 'trainable params'],
  ['peakBytes', 'peak memory'],
  ['wallTimeS', 'wall time'],
  ['tokensPerSec', 'tokens/s'],
  ['latencyMsBatch1', 'latency b=1'],
  ['storedBytes', 'stored per task'],
];

export function costChart(agg: SweepAggregate): Chart {
  const id = 'cost';
  const title = 'Cost relative to full fine-tuning';
  const peft = agg.methods.filter((m) => m.method !== 'full' && m.delta);
  if (!agg.baseline?.best) return { id, title, svg: null, caption: 'Not drawn: no full fine-tuning baseline result to compare costs against.' };
  const bars: { measure: string; method: Method; ratio: number }[] = [];
  for (const [measure, label] of COST_LABELS) for (const m of peft) {
    const r = m.delta!.costs[measure];
    if (r !== null && r > 0) bars.push({ measure: label, method: m.method, ratio: r });
  }
  if (bars.length === 0) return { id, title, svg: null, caption: 'Not drawn: no PEFT method has cost measurements alongside the baseline.' };
  const groups = COST_LABELS.map(([, l]) => l).filter((l) => bars.some((b) => b.measure === l));
  const methods = METHODS.filter((m) => bars.some((b) => b.method === m));
  const barH = 10;
  const groupH = methods.length * barH + 14;
  const f: Frame = { ...DEFAULT_FRAME, left: 120, height: DEFAULT_FRAME.top + DEFAULT_FRAME.bottom + groups.length * groupH };
  const a = plotArea(f);
  const ratios = bars.map((b) => b.ratio).concat([1]);
  const x = logScale(Math.min(...ratios), Math.max(...ratios), a.x0, a.x1, (v) => powerOfTenLabel(v, 'ratio'));
  const parts = [xAxis(f, x, 'ratio to full fine-tuning (log scale; 1× = same as full FT)')];
  parts.push(`<line class="axis" x1="${a.x0}" x2="${a.x0}" y1="${a.y0}" y2="${a.y1}"/>`);
  groups.forEach((g, gi) => {
    const gy = f.top + gi * groupH;
    parts.push(`<text class="group-label" x="${a.x0 - 8}" y="${r2(gy + groupH / 2)}" text-anchor="end">${escapeXml(g)}</text>`);
    methods.forEach((m, mi) => {
      const b = bars.find((q) => q.measure === g && q.method === m);
      if (!b) return;
      const x1 = x(1);
      const xr = x(b.ratio);
      const left = Math.min(x1, xr);
      parts.push(`<rect class="mark bar" x="${r2(left)}" y="${r2(gy + 7 + mi * barH)}" width="${r2(Math.max(1, Math.abs(xr - x1)))}" height="${barH - 2}" fill="${METHOD_COLORS[m]}"><title>${escapeXml(`${METHOD_NAMES[m]} ${g}: ${formatRatio(b.ratio)} full FT`)}</title></rect>`);
    });
  });
  parts.push(`<line class="reference" x1="${r2(x(1))}" x2="${r2(x(1))}" y1="${a.y0}" y2="${a.y1}" stroke="${METHOD_COLORS.full}" stroke-dasharray="6 4"/>`);
  parts.push(legend(f, [...methods.map((m) => ({ label: METHOD_NAMES[m], color: METHOD_COLORS[m], kind: 'line' as const })), { label: 'full FT (1×)', color: METHOD_COLORS.full, kind: 'dash' as const }]));
  const caption = 'Best configuration of each method, medians over seeds, divided by full fine-tuning. Bars start at 1×: left is cheaper (or slower for tokens/s), right is more.';
  return { id, title, caption, svg: svgDocument(f, id, title, parts.join('')) };
}
