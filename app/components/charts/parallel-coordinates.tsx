'use client';
// recharts has no parallel-coordinates chart: plain SVG, one vertical axis per
// hyperparameter (log where values span ≥ 50×, categories evenly spaced), the
// task metric last, one polyline per trial coloured by method. The lines are one
// SVG string (a single React element, not 400: a line and its <title> each), hovered
// through one delegated listener; the hovered line is redrawn on top.
import { memo, useMemo, useState, type MouseEvent } from 'react';
import type { Objective, ParallelAxis, ParallelData } from '@/lib/pages/chart-types';
import { formatNumber, methodColor, methodLabel } from '@/lib/pages/format';
import { ChartFrame } from './chart-frame';
import { MethodLegend } from './legend';

const W = 900;
const H = 320;
const PAD = { top: 30, bottom: 40, left: 50, right: 50 };

function scale(axis: ParallelAxis, v: number): number {
  const h = H - PAD.top - PAD.bottom;
  let t: number;
  if (axis.max === axis.min) t = 0.5;
  else if (axis.log) t = (Math.log(v) - Math.log(axis.min)) / (Math.log(axis.max) - Math.log(axis.min));
  else t = (v - axis.min) / (axis.max - axis.min);
  return PAD.top + h * (1 - t);
}

function tickLabels(axis: ParallelAxis): { v: number; label: string }[] {
  if (axis.kind === 'category') return (axis.categories ?? []).map((c, i) => ({ v: i, label: c }));
  if (axis.min === axis.max) return [{ v: axis.min, label: formatNumber(axis.min) }];
  const vs = axis.log
    ? [0, 0.5, 1].map((t) => Math.exp(Math.log(axis.min) + t * (Math.log(axis.max) - Math.log(axis.min))))
    : [0, 0.5, 1].map((t) => axis.min + t * (axis.max - axis.min));
  return vs.map((v) => ({ v, label: formatNumber(v) }));
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function ParallelCoordinatesChart({ data, objective, source }: { data: ParallelData; objective: Objective; source: string }) {
  const [hover, setHover] = useState<number | null>(null);
  const n = data.axes.length;
  const x = (i: number) => PAD.left + (n <= 1 ? 0 : (i * (W - PAD.left - PAD.right)) / (n - 1));
  const methods = [...new Set(data.lines.map((l) => l.method))];
  const empty = data.lines.length === 0
    ? 'No completed trial with a task metric yet: each finished trial adds one line from its hyperparameters to its metric.'
    : data.axes.length < 2 ? 'Every completed trial has the same hyperparameters: nothing varies to compare.' : null;
  const points = useMemo(() => data.lines.map((l) => l.values.map((v, i) => (v === null ? null : `${x(i)},${scale(data.axes[i], v)}`)).filter(Boolean).join(' ')),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [data]);
  const markup = useMemo(() => data.lines.map((l, li) =>
    `<polyline data-i="${li}" points="${points[li]}" fill="none" stroke="${methodColor(l.method)}" stroke-opacity="0.45" stroke-width="1.2"><title>${esc(`${methodLabel(l.method)} #${l.index}: ${data.axes.map((a, i) => `${a.name}=${display(a, l.values[i])}`).join(', ')}`)}</title></polyline>`).join(''),
  [data, points]);
  const onOver = (e: MouseEvent<SVGGElement>) => {
    const i = (e.target as Element).getAttribute('data-i');
    setHover(i === null ? null : Number(i));
  };
  const h = hover === null ? null : data.lines[hover];
  return (
    <ChartFrame id="parallel" title="Hyperparameters → metric (parallel coordinates)"
      caption={`One line per trial from its hyperparameters to ${objective.metric} (last axis, unitless task metric).${data.lines.length < data.total ? ` ${data.lines.length} of ${data.total} trials: the 50 best plus an even sample.` : ''}`}
      source={source} empty={empty}>
      <MethodLegend methods={methods} />
      <div className="svg-scroll">
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Parallel coordinates of ${data.axes.length - 1} hyperparameters and ${objective.metric}`} className="parallel">
          <g opacity={hover === null ? 1 : 0.3} onMouseOver={onOver} onMouseLeave={() => setHover(null)} dangerouslySetInnerHTML={{ __html: markup }} />
          {h && hover !== null && <polyline points={points[hover]} fill="none" stroke={methodColor(h.method)} strokeWidth={3} pointerEvents="none" />}
          {data.axes.map((a, i) => (
            <g key={a.name}>
              <line x1={x(i)} x2={x(i)} y1={PAD.top} y2={H - PAD.bottom} stroke="#333" />
              <text x={x(i)} y={H - PAD.bottom + 18} textAnchor="middle" fontSize={12} fontWeight={i === n - 1 ? 700 : 400}>{a.name}{a.log ? ' (log)' : ''}</text>
              {tickLabels(a).map((t) => (
                <text key={t.label + t.v} x={x(i) - 4} y={scale(a, t.v) + 4} textAnchor="end" fontSize={10} fill="#555">{t.label}</text>
              ))}
            </g>
          ))}
        </svg>
      </div>
      <p className="chart-tooltip" aria-live="polite">{h ? `${methodLabel(h.method)} #${h.index}: ${data.axes.map((a, i) => `${a.name} = ${display(a, h.values[i])}`).join(' · ')}` : 'Hover a line to read its values.'}</p>
    </ChartFrame>
  );
}

/** Re-renders only when its data changes (a live refresh of an unchanged sweep keeps the lines). */
export const ParallelCoordinates = memo(ParallelCoordinatesChart, (a, b) => a.source === b.source && a.objective.metric === b.objective.metric && JSON.stringify(a.data) === JSON.stringify(b.data));

function display(a: ParallelAxis, v: number | null): string {
  if (v === null) return 'n/a';
  return a.kind === 'category' ? (a.categories?.[v] ?? String(v)) : formatNumber(v, 4);
}
