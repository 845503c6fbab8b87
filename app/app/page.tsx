import Link from 'next/link';
import { listSweeps } from '@peft-lab/db';
import { getDb } from '@/lib/db';
import { formatDate, formatNumber, methodLabel } from '@/lib/pages/format';
import { StatusBadge } from '@/components/status-badge';
import { ProgressBar } from '@/components/progress-bar';
import { LiveRefresh } from '@/components/live-refresh';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Sweeps' };

const PAGE_SIZE = 25;

export default async function SweepsPage({ searchParams }: { searchParams: Promise<{ q?: string; page?: string }> }) {
  const sp = await searchParams;
  const page = Math.max(0, Number.parseInt(sp.page ?? '0', 10) || 0);
  const { items, total } = await listSweeps(getDb(), { q: sp.q, page, pageSize: PAGE_SIZE });
  const active = items.some((s) => s.status === 'queued' || s.status === 'running');
  const qs = (p: number) => `/?${new URLSearchParams({ ...(sp.q ? { q: sp.q } : {}), page: String(p) })}`;
  return (
    <>
      <h1>Sweeps</h1>
      <div className="toolbar">
        <form role="search" action="/" className="toolbar">
          <div className="field"><label htmlFor="sweep-search">Search by name</label>
            <input id="sweep-search" name="q" type="search" defaultValue={sp.q ?? ''} placeholder="e.g. lora" /></div>
          <button type="submit">Search</button>
        </form>
        <Link href="/sweeps/new" className="button primary">New sweep</Link>
      </div>
      <LiveRefresh active={active} intervalMs={2000} />
      {items.length === 0 ? (
        <p className="chart-empty">{sp.q ? `No sweep name contains “${sp.q}”.` : 'No sweeps yet. Create one with “New sweep” (or `peft-lab sweep create spec.yaml`).'}</p>
      ) : (
        <div className="table-scroll">
          <table>
            <caption className="muted">{total} sweep{total === 1 ? '' : 's'}, newest first</caption>
            <thead><tr>
              <th scope="col">Name</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Best per method</th>
              <th scope="col" className="hide-narrow">Task</th><th scope="col" className="hide-narrow">Created</th><th scope="col" className="hide-narrow">Finished</th>
            </tr></thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.id}>
                  <td><Link href={`/sweeps/${s.id}`}>{s.name}</Link></td>
                  <td><StatusBadge status={s.status} /></td>
                  <td><ProgressBar counts={s.counts} /></td>
                  <td>{s.best.length === 0 ? <span className="muted">no finished trial yet</span> : (
                    <ul className="legend">{s.best.map((b) => <li key={b.method}>{methodLabel(b.method)}: <strong>{formatNumber(b.value, 4)}</strong></li>)}</ul>
                  )}{s.best.length > 0 && <small>{s.objective.metric} ({s.objective.direction === 'maximize' ? 'max' : 'min'})</small>}</td>
                  <td className="hide-narrow">{s.task}</td>
                  <td className="hide-narrow">{formatDate(s.createdAt)}</td>
                  <td className="hide-narrow">{formatDate(s.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {total > PAGE_SIZE && (
        <nav className="pager" aria-label="Sweep pages">
          {page > 0 && <Link href={qs(page - 1)}>← Newer</Link>}
          <span>Page {page + 1} of {Math.ceil(total / PAGE_SIZE)}</span>
          {(page + 1) * PAGE_SIZE < total && <Link href={qs(page + 1)}>Older →</Link>}
        </nav>
      )}
    </>
  );
}
