import Link from 'next/link';
import { Fragment } from 'react';
import { notFound } from 'next/navigation';
import { getTrialDetail, getTrialSeries, NotFoundError } from '@peft-lab/db';
import { isMergeableMethod } from '@peft-lab/engine/methods';
import { getDb } from '@/lib/db';
import { formatBytes, formatCount, formatDate, formatNumber, formatPercent, methodLabel } from '@/lib/pages/format';
import { flatNumbers, trialCosts } from '@/lib/pages/trial-numbers';
import { flatHyperparameters } from '@/lib/pages/sweep-charts';
import type { CurveSeries } from '@/lib/pages/chart-types';
import { StatusBadge } from '@/components/status-badge';
import { LiveRefresh } from '@/components/live-refresh';
import { CancelButton } from '@/components/cancel-button';
import { LearningCurvesChart } from '@/components/charts/learning-curves-chart';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return { title: `Trial ${id.slice(0, 8)}` };
}

export default async function TrialPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const db = getDb();
  const detail = await getTrialDetail(db, id).catch((err) => {
    if (err instanceof NotFoundError || (err as Error).name === 'NotFoundError') notFound();
    throw err;
  });
  // Newest artifact first.
  const trial = { ...detail.trial, sweep: detail.sweep, artifacts: [...detail.artifacts].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()) };
  const series = await getTrialSeries(db, id, { maxPoints: 300 });
  const curves: CurveSeries[] = series.map((s) => ({ trialId: id, index: trial.index, method: trial.method, name: s.name, points: s.points.map((p) => ({ step: p.stepEnd, value: p.last })) }));
  const c = trialCosts(trial.measurements);
  const hp = flatHyperparameters(trial.hyperparameters);
  const summary = flatNumbers(trial.summary);
  const other = flatNumbers(trial.measurements);
  const active = trial.status === 'queued' || trial.status === 'running';
  const source = trial.backend ? `Measured on TensorFlow.js backend: ${trial.backend}.` : 'Backend: not recorded (the trial has not run).';
  return (
    <>
      <p><Link href={`/sweeps/${trial.sweep.id}`}>← Sweep {trial.sweep.name}</Link></p>
      <div className="header-row">
        <h1>Trial #{trial.index}: {methodLabel(trial.method)} <StatusBadge status={trial.status} /></h1>
        {active && <CancelButton url={`/api/trials/${id}/cancel`} label="Cancel trial" />}
      </div>
      <LiveRefresh active={active} />
      <p className="backend-note">{source}</p>
      {trial.error && (<><h2>Error</h2><pre className="error" data-testid="trial-error">{trial.error}</pre></>)}
      <div className="panels">
        <section className="panel" aria-labelledby="config-title">
          <h2 id="config-title">Configuration</h2>
          <dl className="kv">
            <dt>Method</dt><dd>{trial.method}</dd>
            {Object.entries(hp).map(([k, v]) => (<Fragment key={k}><dt>{k}</dt><dd>{typeof v === 'number' ? formatNumber(v, 6) : String(v)}</dd></Fragment>))}
            <dt>Seed</dt><dd>{trial.seed}</dd>
            <dt>Attempt</dt><dd>{trial.attempt} of {trial.maxAttempts}</dd>
            <dt>Progress</dt><dd>{trial.status === 'completed' && typeof summary.steps === 'number' ? summary.steps : trial.progressStep}{trial.progressTotal ? ` / ${trial.progressTotal}` : ''} steps</dd>
            <dt>Started</dt><dd>{formatDate(trial.startedAt)}</dd>
            <dt>Finished</dt><dd>{formatDate(trial.finishedAt)}</dd>
            {trial.lastCheckpointStep !== null && (<><dt>Last checkpoint</dt><dd>step {trial.lastCheckpointStep}</dd></>)}
          </dl>
        </section>
        <section className="panel" aria-labelledby="measure-title">
          <h2 id="measure-title">Measurements</h2>
          <dl className="kv" data-testid="measurements">
            <dt>Trainable parameters</dt><dd>{formatCount(c.trainableParams)} of {formatCount(c.totalParams)} ({formatPercent(c.trainablePercent)})</dd>
            <dt>Peak tensor memory</dt><dd>{formatBytes(c.peakBytes)}</dd>
            {c.peakAllocatorBytes !== null && <><dt>TensorFlow allocator peak</dt><dd>{formatBytes(c.peakAllocatorBytes)} (allocations ≥ 256 KiB, op scratch included)</dd></>}
            {c.peakRssBytes !== null && <><dt>Worker peak RSS</dt><dd>{formatBytes(c.peakRssBytes)} (the process; at least any earlier trial&apos;s)</dd></>}
            <dt>Throughput</dt><dd>{c.tokensPerSec === null ? '—' : `${formatNumber(c.tokensPerSec)} tokens/s`}</dd>
            <dt>Wall time</dt><dd>{c.wallTimeS === null ? '—' : `${formatNumber(c.wallTimeS)} s`}</dd>
            <dt>Inference latency (batch 1)</dt><dd>{c.latencyMsBatch1 === null ? '—' : `${formatNumber(c.latencyMsBatch1)} ms`}{c.latencyMergedMsBatch1 !== null ? ` (merged: ${formatNumber(c.latencyMergedMsBatch1)} ms)` : ''}</dd>
            {c.latencyRatioBatch1 !== null && <><dt>Latency overhead vs base (same trial)</dt><dd>{formatNumber(c.latencyRatioBatch1, 3)}× unmerged{c.latencyMergedRatioBatch1 !== null ? `, ${formatNumber(c.latencyMergedRatioBatch1, 3)}× merged` : ''} (median per-round ratio, timed interleaved with the base model)</dd></>}
            <dt>Stored per task</dt><dd>{formatBytes(c.storedBytes)}</dd>
            <dt>Forgetting</dt><dd>{c.forgettingLoss === null ? '—' : `${formatNumber(c.forgettingLoss, 4)} nats/token`} <span className="muted">(trained minus base causal-LM loss on held-out general text{typeof (trial.measurements as { forgettingNote?: unknown } | null)?.forgettingNote === 'string' ? `; ${(trial.measurements as { forgettingNote: string }).forgettingNote}` : ''})</span></dd>
          </dl>
          {Object.keys(other).length > 0 && (
            <details><summary>All measured values</summary>
              <table className="compact"><tbody>{Object.entries(other).map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td className="num">{formatNumber(v, 6)}</td></tr>)}</tbody></table>
            </details>
          )}
        </section>
        <section className="panel" aria-labelledby="summary-title">
          <h2 id="summary-title">Results</h2>
          {Object.keys(summary).length === 0 ? <p className="muted">No results yet{active ? ': the trial has not finished.' : '.'}</p> : (
            <table className="compact" data-testid="summary"><tbody>{Object.entries(summary).map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td className="num">{formatNumber(v, 6)}</td></tr>)}</tbody></table>
          )}
        </section>
        <section className="panel" aria-labelledby="artifacts-title">
          <h2 id="artifacts-title">Artifacts</h2>
          {trial.status === 'completed' && (
            <ul data-testid="trial-exports">
              {trial.method !== 'full' && <li><a href={`/api/trials/${id}/export?format=adapter-zip`} download>Adapter + model card (zip)</a> <span className="muted">— PEFT format with a README.md model card</span></li>}
              {trial.method === 'full' || isMergeableMethod(trial.method)
                ? <li><a href={`/api/trials/${id}/export?format=merged-zip`} download>{trial.method === 'full' ? 'Fine-tuned checkpoint (zip)' : 'Merged Hugging Face checkpoint (zip)'}</a> <span className="muted">— loads with transformers&apos; from_pretrained, no peft needed</span></li>
                : <li className="muted">No merged checkpoint: {methodLabel(trial.method)} does not fold into the base weights; use the adapter with peft.</li>}
            </ul>
          )}
          {trial.artifacts.length === 0 ? <p className="muted">None stored{active ? ' yet' : ''}.</p> : (
            <ul>{trial.artifacts.map((a) => (
              <li key={a.id}><a href={`/api/artifacts/${a.id}`} download>{a.kind === 'adapter' ? 'Adapter (PEFT format)' : a.kind}{a.step !== null ? ` @ step ${a.step}` : ''}</a> — {formatBytes(Number(a.bytes))}, sha256 {a.sha256.slice(0, 12)}…</li>
            ))}</ul>
          )}
        </section>
      </div>
      <h2>Learning curves</h2>
      <div className="charts"><LearningCurvesChart series={curves} source={source} id="trial-curves" /></div>
    </>
  );
}
