import Link from 'next/link';
import { notFound } from 'next/navigation';
import { Suspense } from 'react';
import { getSweep, NotFoundError, sweepMethods, sweepResumeState } from '@peft-lab/db';
import { getDb } from '@/lib/db';
import { formatDate } from '@/lib/pages/format';
import { sweepObjective } from '@/lib/pages/sweep-objective';
import { StatusBadge } from '@/components/status-badge';
import { ProgressBar } from '@/components/progress-bar';
import { LiveRefresh } from '@/components/live-refresh';
import { CancelButton } from '@/components/cancel-button';
import { ResumeButton } from '@/components/resume-button';
import { SweepCharts } from '@/components/sweep-charts';
import { TrialTable, type TrialTableParams } from '@/components/trial-table';

export const dynamic = 'force-dynamic';

const FORMATS = [['csv', 'CSV'], ['json', 'JSON'], ['md', 'Markdown'], ['tex', 'LaTeX'], ['html', 'HTML report']] as const;

async function load(id: string) {
  try {
    return await getSweep(getDb(), id);
  } catch (err) {
    if (err instanceof NotFoundError || (err as Error).name === 'NotFoundError') notFound();
    throw err;
  }
}

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const s = await getSweep(getDb(), id).catch(() => null);
  return { title: s ? `Sweep ${s.name}` : 'Sweep' };
}

export default async function SweepPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<TrialTableParams> }) {
  const [{ id }, sp] = await Promise.all([params, searchParams]);
  const db = getDb();
  const sweep = await load(id);
  const [objective, methods, resume] = await Promise.all([sweepObjective(db, id), sweepMethods(db, id), sweepResumeState(db, id)]);
  const active = sweep.status === 'queued' || sweep.status === 'running' || sweep.counts.queued + sweep.counts.running > 0;
  const spec = sweep.spec as { description?: string; baseModel?: string };
  return (
    <>
      <div className="header-row">
        <h1>{sweep.name} <StatusBadge status={sweep.status} /></h1>
        <div className="exports">
          <span>Export:</span>
          {FORMATS.map(([f, label]) => <a key={f} className="button" href={`/api/sweeps/${id}/export?format=${f}`} download>{label}</a>)}
          {active && <CancelButton url={`/api/sweeps/${id}/cancel`} label="Cancel sweep" confirmText={`Cancel sweep ${sweep.name}? Queued trials will not run.`} />}
          {!active && resume.resumable && <ResumeButton sweepId={id} retryable={resume.retryable} adaptive={resume.adaptive ? { trials: resume.trials, maxTrials: resume.maxTrials } : undefined} />}
        </div>
      </div>
      {spec.description && <p>{spec.description}</p>}
      <ul className="stats" aria-label="Sweep summary">
        <li><span>Task</span><strong>{sweep.task}</strong></li>
        <li><span>Base model</span><strong>{sweep.baseModel?.name ?? spec.baseModel ?? 'builtin'}</strong></li>
        {sweep.external && <li><span>Trained</span><strong>elsewhere (ask-and-tell)</strong></li>}
        <li><span>Objective</span><strong>{objective.metric} ({objective.direction === 'maximize' ? '↑' : '↓'})</strong></li>
        <li><span>Created</span><strong>{formatDate(sweep.createdAt)}</strong></li>
        <li><span>Finished</span><strong>{formatDate(sweep.finishedAt)}</strong></li>
        <li><span>Progress</span><ProgressBar counts={sweep.counts} /></li>
      </ul>
      <LiveRefresh active={active} />
      <p><Link href={`/compare?sweep=${id}`} prefetch={false}>Compare this sweep with others →</Link>{' · '}<Link href={`/sweeps/${id}/playground`} prefetch={false}>Playground: try its adapters on a text →</Link></p>
      <h2>Charts</h2>
      <Suspense fallback={<p role="status" className="muted">Aggregating charts…</p>}>
        <SweepCharts db={db} sweepId={id} objective={objective} finishedSignature={active ? undefined : `${sweep.status}:${JSON.stringify(sweep.counts)}:${sweep.finishedAt?.toISOString()}`} />
      </Suspense>
      <TrialTable db={db} sweepId={id} objective={objective} methods={methods} params={sp} />
    </>
  );
}
