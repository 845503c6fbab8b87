'use client';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ImportanceBar, ImportanceScope, Objective } from '@/lib/pages/chart-types';
import { methodColor, methodLabel } from '@/lib/pages/format';
import { ChartFrame } from './chart-frame';

const ALL_COLOR = '#555555';
const scopeLabel = (s: string) => (s === 'all' ? 'All methods (the method is a parameter)' : methodLabel(s));

/**
 * Hyperparameter importance (PED-ANOVA): one horizontal bar per parameter, its share of the
 * total, for all methods or one method (selector). A scope with too few completed trials
 * says so instead of drawing bars.
 */
export function ImportanceChart({ scopes, objective, source, id = 'importance' }: { scopes: ImportanceScope[]; objective: Objective; source: string; id?: string }) {
  const [picked, setPicked] = useState('all');
  const current = scopes.find((s) => s.scope === picked) ?? scopes[0];
  const empty = !current ? 'No trials yet: importance needs completed trials.' : null;
  const data = (current?.bars ?? []).map((b) => ({ ...b, percent: b.importance * 100 }));
  return (
    <ChartFrame id={id} title="Hyperparameter importance"
      caption={`PED-ANOVA (Optuna's default evaluator): how differently each parameter is distributed in the top 10 % of completed trials by ${objective.metric} than over all of them, as a share of the total. A method's own parameters (lora.r) are scored on the trials that have them, weighted by how many top trials have them.`}
      source={`${source} From ${current?.completed ?? 0} completed trials${current && current.scope !== 'all' ? ` of ${methodLabel(current.scope)}` : ''}.`} empty={empty}>
      <label className="inline">Trials{' '}
        <select value={current?.scope ?? 'all'} onChange={(e) => setPicked(e.target.value)} aria-label="Importance over">
          {scopes.map((s) => <option key={s.scope} value={s.scope}>{scopeLabel(s.scope)}</option>)}
        </select>
      </label>
      {current?.message ? (
        <p className="chart-empty" role="note" data-testid="importance-message">{current.message}.</p>
      ) : (
        <ResponsiveContainer width="100%" height={Math.max(120, 34 * data.length + 60)}>
          <BarChart data={data} layout="vertical" margin={{ top: 10, right: 30, bottom: 30, left: 20 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis type="number" domain={[0, 100]} tickFormatter={(v: number) => `${v} %`}
              label={{ value: 'Importance (% of the total)', position: 'insideBottom', offset: -18 }} />
            <YAxis type="category" dataKey="param" width={150} />
            <Tooltip formatter={(v, _n, item) => {
              const b = (item as { payload?: ImportanceBar }).payload;
              return [`${Number(v).toFixed(1)} % (${b?.trials ?? '?'} trials with it, ${b?.topTrials ?? '?'} in the top)`, 'importance'];
            }} />
            <Bar dataKey="percent" name="importance" isAnimationActive={false} fill={current && current.scope !== 'all' ? methodColor(current.scope) : ALL_COLOR} />
          </BarChart>
        </ResponsiveContainer>
      )}
      {current && current.unscored.length > 0 && (
        <p className="chart-caption">Not scored (set in fewer than 2 trials): {current.unscored.map((u) => `${u.param} (${u.trials})`).join(', ')}.</p>
      )}
    </ChartFrame>
  );
}
