'use client';
import { CartesianGrid, ErrorBar, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EffectSeries, Objective } from '@/lib/pages/chart-types';
import { formatNumber, methodColor, methodLabel } from '@/lib/pages/format';
import { ChartFrame } from './chart-frame';

const UNITS: Record<string, string> = {
  r: 'rank', prefixLength: 'virtual tokens', promptLength: 'virtual tokens', bottleneck: 'hidden units', reductionFactor: 'hidden size ÷ bottleneck',
};

/** Per method: the metric (mean ± std over every trial with that value) against its key hyperparameter. */
export function EffectChart({ effects, objective, source }: { effects: EffectSeries[]; objective: Objective; source: string }) {
  const empty = effects.length === 0
    ? 'No completed LoRA, adapter, prefix or prompt trial with a task metric yet (the effect of r, bottleneck, prefix or prompt length is drawn per method).'
    : null;
  return (
    <ChartFrame id="effects" title="Effect of one hyperparameter per method" caption={`${objective.metric}: mean ± std over all completed trials sharing the value.`} source={source} empty={empty}>
      <div className="small-multiples">
        {effects.map((e) => {
          const xs = e.points.map((p) => p.value);
          const log = Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) >= 8;
          const data = e.points.map((p) => ({ ...p, err: p.std ?? 0 }));
          return (
            <figure key={e.method} className="small-multiple">
              <figcaption>{methodLabel(e.method)}: {e.param}</figcaption>
              <ResponsiveContainer width="100%" height={220}>
                <LineChart data={data} margin={{ top: 5, right: 15, bottom: 30, left: 5 }}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis type="number" dataKey="value" scale={log ? 'log' : 'auto'} domain={['auto', 'auto']} ticks={xs}
                    label={{ value: `${e.param} (${UNITS[e.param] ?? 'value'}${log ? ', log' : ''})`, position: 'insideBottom', offset: -18 }} />
                  <YAxis domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v)} width={55}
                    label={{ value: objective.metric, angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }} />
                  <Tooltip formatter={(v, _n, item) => {
                    const p = (item as { payload?: { std: number | null; n: number } }).payload;
                    return [`${formatNumber(Number(v), 4)}${p?.std != null ? ` ± ${formatNumber(p.std, 3)}` : ''} (n=${p?.n})`, objective.metric];
                  }} labelFormatter={(l) => `${e.param} = ${l}`} />
                  <Legend verticalAlign="top" height={24} />
                  <Line dataKey="mean" name={methodLabel(e.method)} stroke={methodColor(e.method)} isAnimationActive={false}>
                    <ErrorBar isAnimationActive={false} dataKey="err" width={6} stroke={methodColor(e.method)} direction="y" />
                  </Line>
                </LineChart>
              </ResponsiveContainer>
            </figure>
          );
        })}
      </div>
    </ChartFrame>
  );
}
