'use client';
import { useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CurveSeries } from '@/lib/pages/chart-types';
import { formatNumber, methodColor, methodLabel } from '@/lib/pages/format';
import { ChartFrame } from './chart-frame';

const DASHES = ['', '6 3', '2 2', '8 3 2 3'];

/** Loss or eval metric vs step, one line per trial, coloured by method (series arrive downsampled). */
export function LearningCurvesChart({ series, source, id = 'curves' }: { series: CurveSeries[]; source: string; id?: string }) {
  const names = [...new Set(series.map((s) => s.name))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const [name, setName] = useState(names[0] ?? '');
  const current = names.includes(name) ? name : (names[0] ?? '');
  const shown = series.filter((s) => s.name === current);
  const empty = series.length === 0 ? 'No metric points recorded yet: curves appear once a trial reports its first training step.' : null;
  const seenPerMethod = new Map<string, number>();
  return (
    <ChartFrame id={id} title="Learning curves" caption="Value at each step (server-downsampled to ≤ 150 points per line); the best trials of each method." source={source} empty={empty}>
      <label className="inline">Series{' '}
        <select value={current} onChange={(e) => setName(e.target.value)}>
          {names.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      <ResponsiveContainer width="100%" height={300}>
        <LineChart margin={{ top: 10, right: 20, bottom: 30, left: 10 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis type="number" dataKey="step" domain={['dataMin', 'dataMax']} allowDuplicatedCategory={false}
            label={{ value: 'Training step (optimiser steps)', position: 'insideBottom', offset: -18 }} />
          <YAxis type="number" domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v)}
            label={{ value: `${current || 'value'} (${/loss/.test(current) ? 'nats' : 'metric'})`, angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }} />
          <Tooltip formatter={(v) => formatNumber(Number(v), 4)} labelFormatter={(l) => `step ${l}`} />
          <Legend verticalAlign="top" height={28} />
          {shown.map((s) => {
            const k = seenPerMethod.get(s.method) ?? 0;
            seenPerMethod.set(s.method, k + 1);
            return (
              <Line key={`${s.trialId}-${s.name}`} data={s.points} dataKey="value" name={`${methodLabel(s.method)} #${s.index}`} stroke={methodColor(s.method)}
                strokeDasharray={DASHES[k % DASHES.length]} dot={false} isAnimationActive={false} connectNulls />
            );
          })}
        </LineChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

function rank(n: string): number {
  if (/^eval/.test(n)) return 0;
  if (/loss/.test(n)) return 1;
  return 2;
}
