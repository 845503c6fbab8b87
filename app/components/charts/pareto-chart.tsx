'use client';
import { memo, useMemo, useState } from 'react';
import { CartesianGrid, ReferenceLine, ResponsiveContainer, ScatterChart, XAxis, YAxis, useXAxisScale, useYAxisScale } from 'recharts';
import type { Objective, ParetoData, ParetoPoint } from '@/lib/pages/chart-types';
import { formatCount, formatNumber, methodColor, methodLabel } from '@/lib/pages/format';
import { ChartFrame } from './chart-frame';
import { MethodLegend } from './legend';

const logTick = (v: number) => formatCount(v);
const yTicksFirst = (t: number[]) => t[0];
const yTicksLast = (t: number[]) => t[t.length - 1];
const FRONT = '#d62728';

/**
 * The x axis: trainable parameters (log, with the Pareto front) or forgetting (linear: trained
 * minus base causal-LM loss on held-out general text; trials without it are left out).
 */
type XAxisKind = 'params' | 'forgetting';
const xOf = (axis: XAxisKind) => (p: ParetoPoint) => (axis === 'params' ? p.params : p.forgetting!);

/** A linear range rounded to a step of 1, 2 or 5 × 10^k so the ticks read as plain numbers (0.75, 0.8 …). */
function linearTicks(lo: number, hi: number): { domain: [number, number]; ticks: number[] } {
  const raw = (hi - lo) / 4 || Math.abs(hi) / 4 || 0.1;
  const p10 = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * p10).find((s) => s >= raw)!;
  const domain: [number, number] = [Math.floor(lo / step - 0.25) * step, Math.ceil(hi / step + 0.25) * step];
  const ticks: number[] = [];
  for (let v = domain[0]; v <= domain[1] + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { domain, ticks };
}

/** Axis domains from the points themselves (the points are not recharts items, so recharts cannot derive them). */
function domains(points: ParetoPoint[], fullFt: number | null, axis: XAxisKind) {
  const xs = points.map(xOf(axis));
  const ys = points.map((p) => p.metric).concat(fullFt === null ? [] : [fullFt]);
  const yr = linearTicks(Math.min(...ys), Math.max(...ys));
  if (axis === 'forgetting') {
    const xr = linearTicks(Math.min(0, ...xs), Math.max(...xs));
    return { x: xr.domain, y: yr.domain, ticks: xr.ticks, yTicks: yr.ticks };
  }
  const x: [number, number] = [10 ** Math.floor(Math.log10(Math.min(...xs))), 10 ** Math.ceil(Math.log10(Math.max(...xs)))];
  if (x[0] === x[1]) x[1] *= 10;
  const ticks: number[] = [];
  for (let v = x[0]; v <= x[1] * 1.0001; v *= 10) ticks.push(v);
  return { x, y: yr.domain, ticks, yTicks: yr.ticks };
}

/**
 * Every point as a plain SVG circle inside one React element: at hundreds of points,
 * recharts' per-point <Scatter> symbols (a component tree each) were most of the render.
 * Each circle keeps a native tooltip (<title>) with its trial, parameters and metric.
 */
function PointsLayer({ points, metric, axis }: { points: ParetoPoint[]; metric: string; axis: XAxisKind }) {
  const xScale = useXAxisScale();
  const yScale = useYAxisScale();
  const markup = useMemo(() => {
    if (!xScale || !yScale) return '';
    const r = (v: number) => Math.round(v * 10) / 10;
    const out: string[] = [];
    // Front points last, so their red rings sit on top.
    const x = xOf(axis);
    const ringed = (q: ParetoPoint) => axis === 'params' && q.front;
    for (const p of [...points.filter((q) => !ringed(q)), ...points.filter(ringed)]) {
      const cx = xScale(x(p));
      const cy = yScale(p.metric);
      if (cx === undefined || cy === undefined || !Number.isFinite(cx) || !Number.isFinite(cy)) continue;
      const f = ringed(p);
      const forgot = p.forgetting === null ? '' : `, forgetting ${formatNumber(p.forgetting, 4)} nats/token`;
      out.push(`<circle class="recharts-scatter-symbol" cx="${r(cx)}" cy="${r(cy)}" r="${f ? 5 : 3.5}" fill="${methodColor(p.method)}"${f ? ` stroke="${FRONT}" stroke-width="1.5"` : ''}>`
        + `<title>${methodLabel(p.method)} #${p.index}: ${formatCount(p.params)} trainable parameters${forgot}, ${metric} ${formatNumber(p.metric, 4)}${f ? ' (Pareto front)' : ''}</title></circle>`);
    }
    return out.join('');
  }, [points, metric, axis, xScale, yScale]);
  const front = useMemo(() => {
    // The front is over trainable parameters; against forgetting it is not drawn.
    if (!xScale || !yScale || axis !== 'params') return '';
    const f = points.filter((p) => p.front).sort((a, b) => a.params - b.params);
    return f.length > 1 ? f.map((p, i) => `${i ? 'L' : 'M'}${xScale(p.params)},${yScale(p.metric)}`).join('') : '';
  }, [points, axis, xScale, yScale]);
  return (
    <g className="pareto-points" data-drawing={xScale && yScale ? undefined : ''}>
      {front && <path d={front} fill="none" stroke={FRONT} strokeWidth={2} />}
      <g dangerouslySetInnerHTML={{ __html: markup }} />
    </g>
  );
}

/** Task metric vs trainable parameters (log x); the Pareto front joined, full fine-tuning as a horizontal line. */
function ParetoChartView({ data, objective, source }: { data: ParetoData; objective: Objective; source: string }) {
  const [picked, setAxis] = useState<XAxisKind>('params');
  // Offered only when some trial measured forgetting (an empty chart would hide the switch back).
  const hasForgetting = data.points.some((p) => p.forgetting !== null && Number.isFinite(p.forgetting));
  const axis: XAxisKind = hasForgetting ? picked : 'params';
  const points = useMemo(() => (axis === 'params' ? data.points : data.points.filter((p) => p.forgetting !== null && Number.isFinite(p.forgetting))), [data, axis]);
  const methods = [...new Set(points.map((p) => p.method))];
  const empty = points.length === 0
    ? axis === 'params'
      ? 'No completed trial has both a task metric and a trainable-parameter count yet; points appear as trials finish.'
      : 'No completed trial has both a task metric and a forgetting measurement (trials from before it was recorded, or a model without an LM head).'
    : null;
  const against = axis === 'params' ? 'trainable parameters, log scale' : 'forgetting (trained minus base causal-LM loss on held-out general text, nats/token; right = more forgotten)';
  const caption = `${objective.metric} (${objective.direction === 'maximize' ? 'higher' : 'lower'} is better) against ${against}. Hover a point for its trial.` +
    (data.points.length < data.total ? ` Showing ${data.points.length} of ${data.total} trials (the whole front${axis === 'params' ? ', ringed red,' : ' by parameters'} plus an even sample).` : '');
  const d = useMemo(() => (points.length ? domains(points, data.fullFtMetric, axis) : null), [points, data.fullFtMetric, axis]);
  const extra = [...(axis === 'params' ? [{ label: 'Pareto front', swatch: FRONT }] : []), ...(data.fullFtMetric !== null ? [{ label: 'Full FT (mean)', swatch: '#444', dashed: true }] : [])];
  return (
    <ChartFrame id="pareto" title={axis === 'params' ? 'Metric vs trainable parameters' : 'Metric vs forgetting'} caption={caption} source={source} empty={empty}>
      {hasForgetting && (
        <label className="inline">x axis{' '}
          <select value={axis} onChange={(e) => setAxis(e.target.value as XAxisKind)}>
            <option value="params">Trainable parameters</option>
            <option value="forgetting">Forgetting</option>
          </select>
        </label>
      )}
      <MethodLegend methods={methods} extra={extra} />
      {d && (
        <ResponsiveContainer width="100%" height={320}>
          <ScatterChart margin={{ top: 10, right: 20, bottom: 30, left: 10 }}>
            <CartesianGrid strokeDasharray="3 3" />
            {axis === 'params'
              ? <XAxis type="number" dataKey="params" name="Trainable parameters" scale="log" domain={d.x} ticks={d.ticks} allowDataOverflow tickFormatter={logTick}
                label={{ value: 'Trainable parameters (count, log scale)', position: 'insideBottom', offset: -18 }} />
              : <XAxis type="number" dataKey="forgetting" name="Forgetting" domain={d.x} ticks={d.ticks} allowDataOverflow tickFormatter={(v: number) => formatNumber(v)}
                label={{ value: 'Forgetting (nats/token, trained − base)', position: 'insideBottom', offset: -18 }} />}
            <YAxis type="number" dataKey="metric" name={objective.metric} domain={[yTicksFirst(d.yTicks), yTicksLast(d.yTicks)]} ticks={d.yTicks} allowDataOverflow tickFormatter={(v: number) => formatNumber(v)}
              label={{ value: `${objective.metric} (task metric)`, angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }} />
            {data.fullFtMetric !== null && (
              <ReferenceLine y={data.fullFtMetric} stroke="#444" strokeDasharray="6 4"
                label={{ value: `Full FT ${formatNumber(data.fullFtMetric)}`, position: 'insideTopRight', fill: '#444' }} />
            )}
            <PointsLayer points={points} metric={objective.metric} axis={axis} />
          </ScatterChart>
        </ResponsiveContainer>
      )}
    </ChartFrame>
  );
}

/** Re-renders only when its numbers change (a live refresh of an unchanged sweep keeps the chart). */
export const ParetoChart = memo(ParetoChartView, (a, b) => a.source === b.source && a.objective.metric === b.objective.metric && a.objective.direction === b.objective.direction && JSON.stringify(a.data) === JSON.stringify(b.data));
