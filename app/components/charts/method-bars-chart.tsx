'use client';
import { Bar, BarChart, CartesianGrid, Cell, ErrorBar, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MethodStat, Objective } from '@/lib/pages/chart-types';
import { formatNumber, methodColor, methodLabel } from '@/lib/pages/format';
import { ChartFrame } from './chart-frame';
import { MethodLegend } from './legend';

/** Per method: mean ± sample std over seeds of its best configuration. */
export function MethodBarsChart({ stats, objective, source, id = 'method-bars' }: { stats: MethodStat[]; objective: Objective; source: string; id?: string }) {
  const data = stats.map((s) => ({ ...s, label: s.label ?? methodLabel(s.method), err: s.std ?? 0 }));
  const empty = stats.length === 0 ? 'No completed trial with a task metric yet: bars need at least one finished trial per method.' : null;
  return (
    <ChartFrame id={id} title={`${objective.metric} per method (mean ± std over seeds)`}
      caption="Best configuration of each method; error bars are the sample standard deviation over seeds (none with one seed)." source={source} empty={empty}>
      <MethodLegend methods={[...new Set(stats.map((s) => s.method))]} extra={[{ label: 'error bar: ± 1 std', swatch: '#222' }]} />
      <ResponsiveContainer width="100%" height={280}>
        <BarChart data={data} margin={{ top: 10, right: 20, bottom: 30, left: 10 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="label" label={{ value: 'PEFT method', position: 'insideBottom', offset: -18 }} />
          <YAxis domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v)}
            label={{ value: `${objective.metric} (task metric)`, angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }} />
          <Tooltip formatter={(v, _n, item) => {
            const p = (item as { payload?: MethodStat }).payload;
            return [`${formatNumber(Number(v), 4)}${p?.std != null ? ` ± ${formatNumber(p.std, 3)}` : ''} (n=${p?.n ?? '?'}; ${p?.config || 'defaults'})`, objective.metric];
          }} />
          <Bar dataKey="mean" name={objective.metric} isAnimationActive={false}>
            {data.map((d) => <Cell key={d.label} fill={methodColor(d.method)} />)}
            <ErrorBar isAnimationActive={false} dataKey="err" width={8} strokeWidth={2} stroke="#222" direction="y" />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
