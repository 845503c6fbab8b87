'use client';
import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CostRow } from '@/lib/pages/chart-types';
import { formatNumber, methodColor, methodLabel } from '@/lib/pages/format';
import { ChartFrame } from './chart-frame';

const SHORT: Record<string, string> = {
  'Trainable parameters': 'Trainable %', 'Peak memory': 'Peak memory', Throughput: 'Tokens/s', 'Inference latency (batch 1)': 'Latency', 'Stored per task': 'Stored', Forgetting: 'Forgetting',
};

/** Each cost as a multiple of full fine-tuning's (log y; 1× = the same), with the absolute medians in a table. */
export function CostChart({ rows, source }: { rows: CostRow[]; source: string }) {
  const methods = [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  const peft = methods.filter((m) => m !== 'full');
  const data = rows.map((r) => ({ measure: SHORT[r.measure] ?? r.measure, unit: r.unit, ...Object.fromEntries(peft.map((m) => [m, r.ratios[m] ?? null])), abs: r.values }));
  const anyRatio = rows.some((r) => peft.some((m) => r.ratios[m] !== null && r.ratios[m]! > 0));
  const empty = !methods.includes('full')
    ? 'No completed full fine-tuning trial: costs are shown relative to the full-FT baseline, which has not finished (or the sweep has none).'
    : !anyRatio ? 'No completed PEFT trial has measurements yet to compare with full fine-tuning.' : null;
  return (
    <ChartFrame id="costs" title="Cost relative to full fine-tuning" caption="Median over completed trials of each method ÷ the full fine-tuning median (× full FT, log scale; 1× = equal)." source={source} empty={empty}>
      <ResponsiveContainer width="100%" height={300}>
        <BarChart data={data} margin={{ top: 10, right: 20, bottom: 30, left: 10 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="measure" interval={0} tick={{ fontSize: 11 }} label={{ value: 'Measure', position: 'insideBottom', offset: -18 }} />
          <YAxis scale="log" domain={['auto', 'auto']} allowDataOverflow tickFormatter={(v: number) => `${formatNumber(v, 2)}×`}
            label={{ value: 'Relative to full FT (×, log)', angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }} />
          <Tooltip formatter={(v, name, item) => {
            const p = (item as { payload?: { unit: string; abs: Record<string, number | null> } }).payload;
            const m = peft.find((x) => methodLabel(x) === name) ?? String(name);
            return [`${formatNumber(Number(v), 3)}× (${formatNumber(p?.abs[m] ?? null, 4)} ${p?.unit ?? ''} vs ${formatNumber(p?.abs.full ?? null, 4)})`, name];
          }} />
          <Legend verticalAlign="top" height={28} />
          <ReferenceLine y={1} stroke="#000" strokeDasharray="6 4" label={{ value: 'Full FT = 1×', position: 'insideTopLeft' }} />
          {peft.map((m) => <Bar key={m} dataKey={m} name={methodLabel(m)} fill={methodColor(m)} isAnimationActive={false} />)}
        </BarChart>
      </ResponsiveContainer>
      <table className="compact">
        <caption>Medians per method</caption>
        <thead><tr><th scope="col">Measure</th>{methods.map((m) => <th scope="col" key={m}>{methodLabel(m)}</th>)}</tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.measure}><th scope="row">{r.measure} ({r.unit})</th>{methods.map((m) => <td key={m}>{formatNumber(r.values[m] ?? null, 4)}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </ChartFrame>
  );
}
