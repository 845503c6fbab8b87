import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getSweep, NotFoundError, sweepTrialAdapters } from '@peft-lab/db';
import { getDb } from '@/lib/db';
import { appEnv } from '@/lib/env';
import { formatNumber, methodColor, methodLabel } from '@/lib/pages/format';
import { sweepObjective } from '@/lib/pages/sweep-objective';
import { objectiveValue } from '@/lib/pages/trial-numbers';
import { Playground, type PlaygroundTrial } from '@/components/playground';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const s = await getSweep(getDb(), id).catch(() => null);
  return { title: s ? `Playground · ${s.name}` : 'Playground' };
}

export default async function PlaygroundPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const db = getDb();
  let sweep;
  try {
    sweep = await getSweep(db, id);
  } catch (err) {
    if (err instanceof NotFoundError || (err as Error).name === 'NotFoundError') notFound();
    throw err;
  }
  const [objective, adapters, best] = await Promise.all([sweepObjective(db, id), sweepTrialAdapters(db, id), sweepTrialAdapters(db, id, { bestPerMethod: true })]);
  const bestIds = new Set(best.map((b) => b.trialId));
  const trials: PlaygroundTrial[] = adapters.map((t) => ({
    trialId: t.trialId, index: t.index, method: t.method, methodLabel: methodLabel(t.method), color: methodColor(t.method),
    objective: formatNumber(objectiveValue(t.summary, objective)), best: bestIds.has(t.trialId),
  }));
  return (
    <>
      <p className="muted"><Link href={`/sweeps/${id}`} prefetch={false}>← {sweep.name}</Link></p>
      <h1>Playground: {sweep.name}</h1>
      <p>
        Type a text and see what the base model ({sweep.baseModel?.name ?? (sweep.spec as { baseModel?: string }).baseModel ?? 'builtin'}) and each chosen
        trial&apos;s adapter predict, side by side, served by <code>peft-lab serve</code> (one base model in memory, the adapters switched per request).
        Latency is each request&apos;s round trip from the dashboard&apos;s server; a trial&apos;s first request includes loading its adapter.
      </p>
      <Playground sweepId={id} trials={trials} objectiveName={`${objective.metric} ${objective.direction === 'maximize' ? '↑' : '↓'}`} defaultServeUrl={appEnv().PEFT_LAB_SERVE_URL ?? ''} />
    </>
  );
}
