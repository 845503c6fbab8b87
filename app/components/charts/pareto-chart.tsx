'use client';
import { memo, useMemo } from 'react';
import { CartesianGrid, ReferenceLine, ResponsiveContainer, ScatterChart, XAxis, YAxis, useXAxisScale, useYAxisScale } from 'recharts';
import type { Objective, ParetoData, ParetoPoint } from '@/lib/pages/chart-types';
import { formatCount, formatNumber, methodColor, methodLabel } from '@/lib/pages/format';
import { ChartFrame } from './chart-frame';
import { MethodLegend } from './legend';

const logTick = (v: number) => formatCount(v);
const yTicksFirst = (t: number[]) => t[0];
const yTicksLast = (t: number[]) => t[t.length - 1];
const FRONT = '#d62728';

/** Axis domains from the points themselves (the points are not recharts items, so recharts cannot derive them). */
function domains(points: ParetoPoint[], fullFt: number | null) {
  const xs = points.map((p) => p.params);
  const ys = points.map((p) => p.metric).concat(fullFt === null ? [] : [fullFt]);
  const x: [number, number] = [10 ** Math.floor(Math.log10(Math.min(...xs))), 10 ** Math.ceil(Math.log10(Math.max(...xs)))];
  if (x[0] === x[1]) x[1] *= 10;
  // Round y to a step of 1, 2 or 5 × 10^k so the ticks read as plain numbers (0.75, 0.8 …).
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const raw = (hi - lo) / 4 || Math.abs(hi) / 4 || 0.1;
  const p10 = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * p10).find((s) => s >= raw)!;
  const y: [number, number] = [Math.floor(lo / step - 0.25) * step, Math.ceil(hi / step + 0.25) * step];
  const yTicks: number[] = [];
  for (let v = y[0]; v <= y[1] + step / 2; v += step) yTicks.push(Number(v.toPrecision(12)));
  const ticks: number[] = [];
  for (let v = x[0]; v <= x[1] * 1.0001; v *= 10) ticks.push(v);
  return { x, y, ticks, yTicks };
}

/**
 * Every point as a plain SVG circle inside one React element: at hundreds of points,
 * recharts' per-point <Scatter> symbols (a component tree each) were most of the render.
 * Each circle keeps a native tooltip (<title>) with its trial, parameters and metric.
 */
function PointsLayer({ points, metric }: { points: ParetoPoint[]; metric: string }) {
  const xScale = useXAxisScale();
  const yScale = useYAxisScale();
  const markup = useMemo(() => {
    if (!xScale || !yScale) return '';
    const r = (v: number) => Math.round(v * 10) / 10;
    const out: string[] = [];
    // Front points last, so their red rings sit on top.
    for (const p of [...points.filter((q) => !q.front), ...points.filter((q) => q.front)]) {
      const cx = xScale(p.params);
      const cy = yScale(p.metric);
      if (cx === undefined || cy === undefined || !Number.isFinite(cx) || !Number.isFinite(cy)) continue;
      out.push(`<circle class="recharts-scatter-symbol" cx="${r(cx)}" cy="${r(cy)}" r="${p.front ? 5 : 3.5}" fill="${methodColor(p.method)}"${p.front ? ` stroke="${FRONT}" stroke-width="1.5"` : ''}>`
        + `<title>${methodLabel(p.method)} #${p.index}: ${formatCount(p.params)} trainable parameters, ${metric} ${formatNumber(p.metric, 4)}${p.front ? ' (Pareto front)' : ''}</title></circle>`);
    }
    return out.join('');
  }, [points, metric, xScale, yScale]);
  const front = useMemo(() => {
    if (!xScale || !yScale) return '';
    const f = points.filter((p) => p.front).sort((a, b) => a.params - b.params);
    return f.length > 1 ? f.map((p, i) => `${i ? 'L' : 'M'}${xScale(p.params)},${yScale(p.metric)}`).join('') : '';
  }, [points, xScale, yScale]);
  return (
    <g className="pareto-points" data-drawing={xScale && yScale ? undefined : ''}>
      {front && <path d={front} fill="none" stroke={FRONT} strokeWidth={2} />}
      <g dangerouslySetInnerHTML={{ __html: markup }} />
    </g>
  );
}

/** Task metric vs trainable parameters (log x); the Pareto front joined, full fine-tuning as a horizontal line. */
function ParetoChartView({ data, objective, source }: { data: ParetoData; objective: Objective; source: string }) {
  const methods = [...new Set(data.points.map((p) => p.method))];
  const empty = data.points.length === 0
    ? 'No completed trial has both a task metric and a trainable-parameter count yet; points appear as trials finish.'
    : null;
  const caption = `${objective.metric} (${objective.direction === 'maximize' ? 'higher' : 'lower'} is better) against trainable parameters, log scale. Hover a point for its trial.` +
    (data.points.length < data.total ? ` Showing ${data.points.length} of ${data.total} trials (the whole front, ringed red, plus an even sample).` : '');
  const d = useMemo(() => (data.points.length ? domains(data.points, data.fullFtMetric) : null), [data]);
  const extra = [{ label: 'Pareto front', swatch: FRONT }, ...(data.fullFtMetric !== null ? [{ label: 'Full FT (mean)', swatch: '#444', dashed: true }] : [])];
  return (
    <ChartFrame id="pareto" title="Metric vs trainable parameters" caption={caption} source={source} empty={empty}>
      <MethodLegend methods={methods} extra={extra} />
      {d && (
        <ResponsiveContainer width="100%" height={320}>
          <ScatterChart margin={{ top: 10, right: 20, bottom: 30, left: 10 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis type="number" dataKey="params" name="Trainable parameters" scale="log" domain={d.x} ticks={d.ticks} allowDataOverflow tickFormatter={logTick}
              label={{ value: 'Trainable parameters (count, log scale)', position: 'insideBottom', offset: -18 }} />
            <YAxis type="number" dataKey="metric" name={objective.metric} domain={[yTicksFirst(d.yTicks), yTicksLast(d.yTicks)]} ticks={d.yTicks} allowDataOverflow tickFormatter={(v: number) => formatNumber(v)}
              label={{ value: `${objective.metric} (task metric)`, angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }} />
            {data.fullFtMetric !== null && (
              <ReferenceLine y={data.fullFtMetric} stroke="#444" strokeDasharray="6 4"
                label={{ value: `Full FT ${formatNumber(data.fullFtMetric)}`, position: 'insideTopRight', fill: '#444' }} />
            )}
            <PointsLayer points={data.points} metric={objective.metric} />
          </ScatterChart>
        </ResponsiveContainer>
      )}
    </ChartFrame>
  );
}

/** Re-renders only when its numbers change (a live refresh of an unchanged sweep keeps the chart). */
export const ParetoChart = memo(ParetoChartView, (a, b) => a.source === b.source && a.objective.metric === b.objective.metric && a.objective.direction === b.objective.direction && JSON.stringify(a.data) === JSON.stringify(b.data));
