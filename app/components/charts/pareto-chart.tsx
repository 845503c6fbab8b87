'use client';
import { CartesianGrid, Legend, ReferenceLine, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { Objective, ParetoData } from '@/lib/pages/chart-types';
import { formatCount, formatNumber, methodColor, methodLabel } from '@/lib/pages/format';
import { ChartFrame } from './chart-frame';

const logTick = (v: number) => formatCount(v);

// A bare circle per point: recharts' default symbol builds a d3 path per point, which
// is most of the chart's render time at hundreds of points.
function dot(props: unknown) {
  const { cx, cy, fill, payload } = props as { cx?: number; cy?: number; fill?: string; payload?: { front?: boolean } };
  if (cx === undefined || cy === undefined) return <g />;
  return <circle cx={cx} cy={cy} r={payload?.front ? 5 : 3.5} fill={fill} stroke={payload?.front ? '#d62728' : 'none'} strokeWidth={1.5} className="recharts-scatter-symbol" />;
}

/** Task metric vs trainable parameters (log x); the Pareto front joined, full fine-tuning as a horizontal line. */
export function ParetoChart({ data, objective, source }: { data: ParetoData; objective: Objective; source: string }) {
  const methods = [...new Set(data.points.map((p) => p.method))];
  const front = data.points.filter((p) => p.front).sort((a, b) => a.params - b.params);
  const empty = data.points.length === 0
    ? 'No completed trial has both a task metric and a trainable-parameter count yet; points appear as trials finish.'
    : null;
  const caption = `${objective.metric} (${objective.direction === 'maximize' ? 'higher' : 'lower'} is better) against trainable parameters, log scale.` +
    (data.points.length < data.total ? ` Showing ${data.points.length} of ${data.total} trials (the whole front, ringed red, plus an even sample).` : '');
  return (
    <ChartFrame id="pareto" title="Metric vs trainable parameters" caption={caption} source={source} empty={empty}>
      <ResponsiveContainer width="100%" height={320}>
        <ScatterChart margin={{ top: 10, right: 20, bottom: 30, left: 10 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis type="number" dataKey="params" name="Trainable parameters" scale="log" domain={['auto', 'auto']} tickFormatter={logTick}
            label={{ value: 'Trainable parameters (count, log scale)', position: 'insideBottom', offset: -18 }} />
          <YAxis type="number" dataKey="metric" name={objective.metric} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v)}
            label={{ value: `${objective.metric} (task metric)`, angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }} />
          <Tooltip cursor={{ strokeDasharray: '3 3' }} formatter={(v, name) => [name === 'Trainable parameters' ? formatCount(Number(v)) : formatNumber(Number(v), 4), name]} />
          <Legend verticalAlign="top" height={28} />
          {methods.map((m) => (
            <Scatter key={m} name={methodLabel(m)} data={data.points.filter((p) => p.method === m)} fill={methodColor(m)} isAnimationActive={false} shape={dot} />
          ))}
          {front.length > 1 && (
            <Scatter name="Pareto front" data={front} fill="none" line={{ stroke: '#d62728', strokeWidth: 2 }} shape={() => <g />} isAnimationActive={false} legendType="line" />
          )}
          {data.fullFtMetric !== null && (
            <ReferenceLine y={data.fullFtMetric} stroke="#444" strokeDasharray="6 4" ifOverflow="extendDomain"
              label={{ value: `Full FT ${formatNumber(data.fullFtMetric)}`, position: 'insideTopRight', fill: '#444' }} />
          )}
        </ScatterChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
