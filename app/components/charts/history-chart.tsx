'use client';
import { CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import type { HistorySeries, Objective } from '@/lib/pages/chart-types';
import { formatNumber } from '@/lib/pages/format';
import { ChartFrame } from './chart-frame';

/** Series colours on the compare page (Okabe–Ito, after the method colours' order). */
const SERIES_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

/** The y range of the drawn values, padded; a flat history gets a band around its one value (recharts' auto gives −1…3 for 1). */
function yDomain(series: HistorySeries[]): [number, number] | ['auto', 'auto'] {
  const vs = series.flatMap((s) => s.points.flatMap((p) => [p.best, p.value])).filter((v): v is number => v !== null);
  if (vs.length === 0) return ['auto', 'auto'];
  const lo = Math.min(...vs);
  const hi = Math.max(...vs);
  const pad = hi > lo ? (hi - lo) * 0.08 : Math.abs(hi) * 0.05 || 0.05;
  return [Number((lo - pad).toPrecision(3)), Number((hi + pad).toPrecision(3))];
}

const seriesName = (s: HistorySeries) => (s.label ? `${s.label} (${s.strategy})` : `best so far (strategy ${s.strategy})`);

/**
 * Optimisation history: the best objective value so far against the trial index (the order
 * trials were suggested), one step line per sweep; on a single sweep, each trial's own value
 * as a dot. Points arrive downsampled (every improvement kept).
 */
export function HistoryChart({ series, objective, source, id = 'history' }: { series: HistorySeries[]; objective: Objective; source: string; id?: string }) {
  const drawn = series.filter((s) => s.points.some((p) => p.best !== null));
  const empty = drawn.length === 0 ? `No completed trial with ${objective.metric} yet: the history starts at the first one.` : null;
  // one sweep on its own page (no label): its trials' values as dots too
  const single = series.length === 1 && !series[0].label ? series[0] : null;
  const title = single ? `Optimisation history (strategy ${single.strategy})` : 'Optimisation history';
  const shown = drawn.reduce((n, s) => n + s.points.length, 0);
  const total = drawn.reduce((n, s) => n + s.total, 0);
  return (
    <ChartFrame id={id} title={title}
      caption={`Best ${objective.metric} so far (${objective.direction === 'maximize' ? 'highest' : 'lowest'}) after each trial, by trial index; completed trials only.${shown < total ? ' Every improvement is drawn, other trials sampled.' : ''}`}
      source={source} empty={empty}>
      <ResponsiveContainer width="100%" height={300}>
        <ComposedChart margin={{ top: 10, right: 20, bottom: 30, left: 10 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis type="number" dataKey="index" domain={[0, 'dataMax']} allowDecimals={false}
            label={{ value: 'Trial index (suggestion order)', position: 'insideBottom', offset: -18 }} />
          <YAxis type="number" domain={yDomain(single ? series : drawn)} tickFormatter={(v: number) => formatNumber(v)}
            label={{ value: `${objective.metric} (objective)`, angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }} />
          <Tooltip formatter={(v) => formatNumber(Number(v), 4)} labelFormatter={(l) => `trial #${l}`} />
          <Legend verticalAlign="top" height={28} />
          {single && (
            <Scatter data={single.points.filter((p) => p.value !== null)} dataKey="value" name={`trial ${objective.metric}`} fill="#999999" isAnimationActive={false} />
          )}
          {drawn.map((s, i) => (
            <Line key={`${s.label}-${i}`} data={s.points.filter((p) => p.best !== null)} dataKey="best" name={seriesName(s)} type="stepAfter"
              stroke={SERIES_COLORS[i % SERIES_COLORS.length]} strokeWidth={2} dot={false} isAnimationActive={false} />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
