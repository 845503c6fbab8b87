'use client';
import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { ObjectivesData } from '@/lib/pages/chart-types';
import { formatNumber, methodColor, methodLabel } from '@/lib/pages/format';
import { ChartFrame } from './chart-frame';
import { MethodLegend } from './legend';

const FRONT = '#d62728';
const better = (d: 'maximize' | 'minimize') => (d === 'maximize' ? 'higher' : 'lower');

/** A multi-objective sweep's first two objectives against each other; the non-dominated front ringed and joined. */
export function ObjectivesChart({ data, source, id = 'pareto' }: { data: ObjectivesData; source: string; id?: string }) {
  const methods = [...new Set(data.points.map((p) => p.method))];
  const front = data.points.filter((p) => p.front).sort((a, b) => a.x - b.x);
  const xs = data.points.map((p) => p.x);
  const logX = xs.length > 0 && Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) >= 50;
  const empty = data.points.length === 0 ? `No completed trial has both ${data.x.metric} and ${data.y.metric} yet; points appear as trials finish.` : null;
  return (
    <ChartFrame id={id} title={`${data.y.metric} vs ${data.x.metric} (first two objectives)`}
      caption={`${data.y.metric} (${better(data.y.direction)} is better) against ${data.x.metric} (${better(data.x.direction)} is better)${logX ? ', log scale' : ''}; ringed red and joined: trials no other trial beats on both.${data.points.length < data.total ? ` Showing ${data.points.length} of ${data.total} trials (the whole front plus an even sample).` : ''}`}
      source={source} empty={empty}>
      <MethodLegend methods={methods} extra={[{ label: 'non-dominated front', swatch: FRONT }]} />
      <ResponsiveContainer width="100%" height={320}>
        <ScatterChart margin={{ top: 10, right: 20, bottom: 30, left: 10 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis type="number" dataKey="x" name={data.x.metric} scale={logX ? 'log' : 'auto'} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v)}
            label={{ value: `${data.x.metric} (objective 2)`, position: 'insideBottom', offset: -18 }} />
          <YAxis type="number" dataKey="y" name={data.y.metric} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v)}
            label={{ value: `${data.y.metric} (objective 1)`, angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }} />
          <Tooltip formatter={(v) => formatNumber(Number(v), 4)} />
          {methods.map((m) => (
            <Scatter key={m} name={methodLabel(m)} data={data.points.filter((p) => p.method === m)} fill={methodColor(m)} isAnimationActive={false} />
          ))}
          {front.length > 0 && <Scatter name="non-dominated front" data={front} fill="none" stroke={FRONT} strokeWidth={1.5} line={{ stroke: FRONT, strokeWidth: 2 }} isAnimationActive={false} />}
        </ScatterChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
