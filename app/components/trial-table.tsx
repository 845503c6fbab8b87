// The sweep's trials: one page at a time, sorted and filtered in SQL (listTrials),
// controlled by URL parameters so links, the back button and keyboard all work.
import Link from 'next/link';
import { listTrials, type Db, type Trial, type TrialStatus } from '@peft-lab/db';
import type { Objective } from '@/lib/pages/chart-types';
import { formatNumber, formatPercent, methodLabel } from '@/lib/pages/format';
import { objectiveValue, trialCosts } from '@/lib/pages/trial-numbers';
import { flatHyperparameters } from '@/lib/pages/sweep-charts';
import { StatusBadge } from './status-badge';
import { CancelButton } from './cancel-button';

export interface TrialTableParams { sort?: string; dir?: string; status?: string; method?: string; page?: string }

const STATUSES: TrialStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled', 'pruned'];
const PAGE_SIZE = 50;

function hpLine(h: unknown): string {
  const f = flatHyperparameters(h);
  return Object.entries(f).filter(([k]) => !k.startsWith('training.') || !['training.maxSteps', 'training.epochs', 'training.evalEvery', 'training.maxSeqLen'].includes(k))
    .map(([k, v]) => `${k.replace(/^training\./, '')}=${typeof v === 'number' ? formatNumber(v) : v}`).join(' ');
}

/** Steps done: the summary's step count once completed (the last heartbeat may predate the last step). */
function progress(t: Trial): string {
  const steps = (t.summary as { steps?: unknown } | null)?.steps;
  const done = t.status === 'completed' && typeof steps === 'number' ? steps : t.progressStep;
  return t.progressTotal ? `${done}/${t.progressTotal}` : done ? String(done) : '—';
}

export async function TrialTable({ db, sweepId, objective, methods, params }: { db: Db; sweepId: string; objective: Objective; methods: string[]; params: TrialTableParams }) {
  const page = Math.max(0, Number.parseInt(params.page ?? '0', 10) || 0);
  const status = STATUSES.includes(params.status as TrialStatus) ? [params.status as TrialStatus] : undefined;
  const method = params.method && methods.includes(params.method) ? [params.method] : undefined;
  const sortKey = params.sort === 'metric' && objective.key ? `summary.${objective.key}` : (['index', 'method', 'status', 'seed'].includes(params.sort ?? '') ? params.sort! : 'index');
  const dir = params.dir === 'desc' ? 'desc' : 'asc';
  const { items, total } = await listTrials(db, sweepId, { status, method, sort: { by: sortKey as 'index', dir }, page, pageSize: PAGE_SIZE });
  const base = `/sweeps/${sweepId}`;
  const link = (p: Partial<TrialTableParams>) => {
    const q = new URLSearchParams(Object.entries({ ...params, ...p }).filter(([, v]) => v !== undefined && v !== '') as [string, string][]);
    return `${base}?${q}#trials`;
  };
  const current = params.sort ?? 'index';
  const header = (key: string, label: string, className?: string) => {
    const on = current === key;
    const ariaSort = on ? (dir === 'asc' ? 'ascending' : 'descending') : 'none';
    return (
      <th scope="col" aria-sort={ariaSort} className={className}>
        <Link href={link({ sort: key, dir: on && dir === 'asc' ? 'desc' : 'asc', page: undefined })}>{label}{on ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</Link>
      </th>
    );
  };
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <section aria-labelledby="trials-title" id="trials">
      <h2 id="trials-title">Trials</h2>
      <form className="toolbar" action={base} method="get" aria-label="Filter trials">
        {params.sort && <input type="hidden" name="sort" value={params.sort} />}
        {params.dir && <input type="hidden" name="dir" value={params.dir} />}
        <div className="field"><label htmlFor="filter-status">Status</label>
          <select id="filter-status" name="status" defaultValue={params.status ?? ''}>
            <option value="">any</option>{STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select></div>
        <div className="field"><label htmlFor="filter-method">Method</label>
          <select id="filter-method" name="method" defaultValue={params.method ?? ''}>
            <option value="">any</option>{methods.map((m) => <option key={m} value={m}>{methodLabel(m)}</option>)}
          </select></div>
        <button type="submit">Filter</button>
        {(params.status || params.method) && <Link href={`${base}#trials`}>Clear filters</Link>}
      </form>
      <form action="/compare" method="get">
        <div className="table-scroll">
          <table data-testid="trial-table">
            <caption className="muted">{total} trial{total === 1 ? '' : 's'}{status || method ? ' matching the filter' : ''}; page {page + 1} of {pages}</caption>
            <thead><tr>
              <th scope="col"><span className="sr-only">Compare</span></th>
              {header('index', '#')}{header('status', 'Status')}{header('method', 'Method')}
              <th scope="col">Hyperparameters</th>{header('seed', 'Seed', 'num')}
              <th scope="col" className="num">Progress</th>
              {header('metric', objective.metric, 'num')}
              <th scope="col" className="num">Trainable %</th>
              <th scope="col" className="num" title="Trained minus base causal-LM loss on held-out general text (nats/token)">Forgetting</th>
              <th scope="col">Backend</th><th scope="col"><span className="sr-only">Actions</span></th>
            </tr></thead>
            <tbody>
              {items.map((t: Trial) => {
                const m = objectiveValue(t.summary, objective);
                const c = trialCosts(t.measurements);
                const unfinished = t.status === 'queued' || t.status === 'running';
                return (
                  <tr key={t.id} data-status={t.status}>
                    <td><input type="checkbox" name="trial" value={t.id} aria-label={`Compare trial ${t.index}`} /></td>
                    <td><Link href={`/trials/${t.id}`}>#{t.index}</Link>{t.retryOfId && <> <Link href={`/trials/${t.retryOfId}`} className="muted" title="sweep resume: this trial retries a failed or cancelled one, which keeps its results">retry</Link></>}</td>
                    <td><StatusBadge status={t.status} />{t.error && <span className="error-text" title={t.error}> !</span>}</td>
                    <td>{methodLabel(t.method)}</td>
                    <td className="hp">{hpLine(t.hyperparameters)}</td>
                    <td className="num">{t.seed}</td>
                    <td className="num">{progress(t)}</td>
                    <td className="num">{formatNumber(m, 4)}</td>
                    <td className="num">{formatPercent(c.trainablePercent)}</td>
                    <td className="num">{formatNumber(c.forgettingLoss, 3)}</td>
                    <td>{t.backend ?? '—'}</td>
                    <td>{unfinished && <CancelButton url={`/api/trials/${t.id}/cancel`} label={`Cancel #${t.index}`} />}</td>
                  </tr>
                );
              })}
              {items.length === 0 && <tr><td colSpan={12} className="muted">No trial matches.</td></tr>}
            </tbody>
          </table>
        </div>
        <div className="pager">
          <button type="submit">Compare selected trials</button>
          <nav aria-label="Trial pages" className="pager">
            {page > 0 && <Link href={link({ page: String(page - 1) })}>← Previous</Link>}
            <span>Page {page + 1} of {pages}</span>
            {page + 1 < pages && <Link href={link({ page: String(page + 1) })}>Next →</Link>}
          </nav>
        </div>
      </form>
    </section>
  );
}
