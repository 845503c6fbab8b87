import Link from 'next/link';
import { getSweepsByIds, getTrialSeries, getTrialsByIds, listSweeps } from '@peft-lab/db';
import { getDb } from '@/lib/db';
import { loadSweepCharts, flatHyperparameters } from '@/lib/pages/sweep-charts';
import { objectiveValue, trialCosts } from '@/lib/pages/trial-numbers';
import { sweepObjective } from '@/lib/pages/sweep-objective';
import { formatBytes, formatDate, formatNumber, formatPercent, methodLabel } from '@/lib/pages/format';
import type { CurveSeries, MethodStat } from '@/lib/pages/chart-types';
import { MethodBarsChart } from '@/components/charts/method-bars-chart';
import { LearningCurvesChart } from '@/components/charts/learning-curves-chart';
import { HistoryChart } from '@/components/charts/history-chart';
import { backendSource } from '@/components/sweep-charts';
import { StatusBadge } from '@/components/status-badge';
import { METHOD_NAMES } from '@peft-lab/engine/methods';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Compare' };

/** Every registered method, in registry order. */
const METHODS: readonly string[] = METHOD_NAMES;
const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).filter(Boolean);

export default async function ComparePage({ searchParams }: { searchParams: Promise<{ sweep?: string | string[]; method?: string | string[]; trial?: string | string[] }> }) {
  const sp = await searchParams;
  const db = getDb();
  const sweepIds = list(sp.sweep).slice(0, 8);
  const methods = list(sp.method).filter((m) => METHODS.includes(m));
  const trialIds = list(sp.trial).slice(0, 12);
  const recent = (await listSweeps(db, { pageSize: 30 })).items;
  return (
    <>
      <h1>Compare</h1>
      <form action="/compare" method="get" className="panel" aria-label="Choose what to compare">
        <fieldset><legend>Sweeps</legend>
          {recent.length === 0 && <p className="muted">No sweeps yet.</p>}
          {recent.map((s) => (
            <div className="field checkbox" key={s.id}>
              <input type="checkbox" id={`cmp-sweep-${s.id}`} name="sweep" value={s.id} defaultChecked={sweepIds.includes(s.id)} />
              <label htmlFor={`cmp-sweep-${s.id}`}>{s.name}</label> <small>{s.status}, {formatDate(s.createdAt)}</small>
            </div>
          ))}
        </fieldset>
        <fieldset><legend>Methods (none ticked: all)</legend>
          {METHODS.map((m) => (
            <span className="field checkbox" key={m} style={{ display: 'inline-flex', marginRight: 16 }}>
              <input type="checkbox" id={`cmp-method-${m}`} name="method" value={m} defaultChecked={methods.includes(m)} />
              <label htmlFor={`cmp-method-${m}`}>{methodLabel(m)}</label>
            </span>
          ))}
        </fieldset>
        <button type="submit" className="primary">Compare</button>
        <p className="muted">To compare single trials, tick them in a sweep&apos;s trial table and press “Compare selected trials”.</p>
      </form>
      {sweepIds.length > 0 && <SweepComparison sweepIds={sweepIds} methods={methods} />}
      {trialIds.length > 0 && <TrialComparison trialIds={trialIds} />}
      {sweepIds.length === 0 && trialIds.length === 0 && <p className="chart-empty">Pick one or more sweeps above (or trials from a sweep page) to see them side by side.</p>}
    </>
  );

  async function SweepComparison({ sweepIds, methods }: { sweepIds: string[]; methods: string[] }) {
    const sweeps = await getSweepsByIds(db, sweepIds);
    const loaded = await Promise.all(sweeps.map(async (s) => ({ sweep: s, charts: await loadSweepCharts(db, s.id) })));
    const rows = loaded.flatMap(({ sweep, charts }) => charts.methodStats
      .filter((m) => methods.length === 0 || methods.includes(m.method))
      .map((m) => ({ sweep, charts, stat: m, cost: (measure: string) => charts.costs.find((c) => c.measure === measure)?.values[m.method] ?? null })));
    const metricNames = [...new Set(loaded.map((l) => l.charts.objective.metric))];
    const stats: MethodStat[] = rows.map((r) => ({ ...r.stat, label: `${r.sweep.name}: ${methodLabel(r.stat.method)}` }));
    const backends = loaded.flatMap((l) => l.charts.backends);
    return (
      <section aria-labelledby="cmp-sweeps-title">
        <h2 id="cmp-sweeps-title">Methods across sweeps</h2>
        <div className="table-scroll">
          <table>
            <thead><tr><th scope="col">Sweep</th><th scope="col">Method</th><th scope="col">Best configuration</th><th scope="col" className="num">Metric mean ± std (n)</th>
              <th scope="col" className="num">Trainable %</th><th scope="col" className="num">Peak memory (MiB)</th><th scope="col" className="num">Tokens/s</th><th scope="col" className="num">Latency (ms)</th><th scope="col" className="num">Stored (MiB)</th></tr></thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.sweep.id}-${r.stat.method}`}>
                  <td><Link href={`/sweeps/${r.sweep.id}`}>{r.sweep.name}</Link></td><td>{methodLabel(r.stat.method)}</td><td className="hp">{r.stat.config || 'defaults'}</td>
                  <td className="num">{r.charts.objective.metric} {formatNumber(r.stat.mean, 4)}{r.stat.std !== null ? ` ± ${formatNumber(r.stat.std, 3)}` : ''} ({r.stat.n})</td>
                  <td className="num">{formatPercent(r.cost('Trainable parameters'))}</td><td className="num">{formatNumber(r.cost('Peak memory'))}</td>
                  <td className="num">{formatNumber(r.cost('Throughput'))}</td><td className="num">{formatNumber(r.cost('Inference latency (batch 1)'))}</td><td className="num">{formatNumber(r.cost('Stored per task'))}</td>
                </tr>
              ))}
              {rows.length === 0 && <tr><td colSpan={9} className="muted">No completed trials of the chosen methods in these sweeps.</td></tr>}
            </tbody>
          </table>
        </div>
        <div className="charts">
          <MethodBarsChart id="compare-bars" stats={metricNames.length === 1 ? stats : []} objective={loaded[0]?.charts.objective ?? { metric: 'metric', key: null, direction: 'maximize' }} source={backendSource(backends)} />
        </div>
        <div className="charts">
          <HistoryChart id="compare-history" series={metricNames.length === 1 ? loaded.map((l) => ({ ...l.charts.history, label: l.sweep.name })) : []}
            objective={loaded[0]?.charts.objective ?? { metric: 'metric', key: null, direction: 'maximize' }} source={backendSource(backends)} />
        </div>
        {metricNames.length > 1 && <p className="muted">The sweeps optimise different metrics ({metricNames.join(', ')}): no common bar chart or history.</p>}
      </section>
    );
  }

  async function TrialComparison({ trialIds }: { trialIds: string[] }) {
    const trials = await getTrialsByIds(db, trialIds);
    const objectives = new Map<string, Awaited<ReturnType<typeof sweepObjective>>>();
    for (const t of trials) if (!objectives.has(t.sweepId)) objectives.set(t.sweepId, await sweepObjective(db, t.sweepId));
    const series = (await Promise.all(trials.map(async (t) => (await getTrialSeries(db, t.id, { maxPoints: 200 })).map((s): CurveSeries => ({
      trialId: t.id, index: t.index, method: t.method, name: s.name, points: s.points.map((p) => ({ step: p.stepEnd, value: p.last })),
    }))))).flat();
    const hpNames = [...new Set(trials.flatMap((t) => Object.keys(flatHyperparameters(t.hyperparameters))))].sort();
    const backends = [...new Set(trials.map((t) => t.backend).filter(Boolean))];
    return (
      <section aria-labelledby="cmp-trials-title">
        <h2 id="cmp-trials-title">Trials side by side</h2>
        <div className="table-scroll">
          <table>
            <thead><tr><th scope="col">Trial</th>{trials.map((t) => <th scope="col" key={t.id}><Link href={`/trials/${t.id}`}>{t.sweep.name} #{t.index}</Link></th>)}</tr></thead>
            <tbody>
              <tr><th scope="row">Method</th>{trials.map((t) => <td key={t.id}>{methodLabel(t.method)}</td>)}</tr>
              <tr><th scope="row">Status</th>{trials.map((t) => <td key={t.id}><StatusBadge status={t.status} /></td>)}</tr>
              {hpNames.map((h) => <tr key={h}><th scope="row">{h}</th>{trials.map((t) => { const v = flatHyperparameters(t.hyperparameters)[h]; return <td key={t.id}>{v === undefined ? '—' : typeof v === 'number' ? formatNumber(v, 6) : String(v)}</td>; })}</tr>)}
              <tr><th scope="row">Seed</th>{trials.map((t) => <td key={t.id}>{t.seed}</td>)}</tr>
              <tr><th scope="row">Task metric</th>{trials.map((t) => { const o = objectives.get(t.sweepId)!; return <td key={t.id} className="num">{o.metric} {formatNumber(objectiveValue(t.summary, o), 4)}</td>; })}</tr>
              <tr><th scope="row">Trainable %</th>{trials.map((t) => <td key={t.id} className="num">{formatPercent(trialCosts(t.measurements).trainablePercent)}</td>)}</tr>
              <tr><th scope="row">Peak memory</th>{trials.map((t) => <td key={t.id} className="num">{formatBytes(trialCosts(t.measurements).peakBytes)}</td>)}</tr>
              <tr><th scope="row">Tokens/s</th>{trials.map((t) => <td key={t.id} className="num">{formatNumber(trialCosts(t.measurements).tokensPerSec)}</td>)}</tr>
              <tr><th scope="row">Latency batch 1 (ms)</th>{trials.map((t) => <td key={t.id} className="num">{formatNumber(trialCosts(t.measurements).latencyMsBatch1)}</td>)}</tr>
              <tr><th scope="row">Stored per task</th>{trials.map((t) => <td key={t.id} className="num">{formatBytes(trialCosts(t.measurements).storedBytes)}</td>)}</tr>
              <tr><th scope="row">Backend</th>{trials.map((t) => <td key={t.id}>{t.backend ?? '—'}</td>)}</tr>
            </tbody>
          </table>
        </div>
        <div className="charts"><LearningCurvesChart id="compare-curves" series={series} source={backends.length ? `Measured on TensorFlow.js backend: ${backends.join(', ')}.` : 'Backend: not recorded.'} /></div>
      </section>
    );
  }
}
