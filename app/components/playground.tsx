'use client';
// The sweep playground's form and results: pick trials (default: the best of each method), type a
// text, POST /api/sweeps/[id]/playground, and show one column per model — the base model first —
// with its prediction (label + probability bars, per-token tags, or a continuation with the
// next-token top-k) and the request's latency, or the serve API's message for that column.
import { useState } from 'react';
import type { PlaygroundColumn, ServePrediction } from '@/lib/playground/run-playground';
import { SessionUnlock } from './session-unlock';

export interface PlaygroundTrial {
  trialId: string;
  index: number;
  method: string;
  methodLabel: string;
  color: string;
  /** The trial's objective value, formatted. */
  objective: string;
  best: boolean;
}

export interface PlaygroundProps {
  sweepId: string;
  trials: PlaygroundTrial[];
  objectiveName: string;
  /** PEFT_LAB_SERVE_URL, when the dashboard was given a server. */
  defaultServeUrl: string;
}

function ProbabilityBar({ label, p, color }: { label: string; p: number; color: string }) {
  const pct = `${(p * 100).toFixed(1)}%`;
  return (
    <li className="playground-prob" style={{ display: 'grid', gridTemplateColumns: 'minmax(4em, auto) 1fr 4.5em', gap: 6, alignItems: 'center' }}>
      <span className="playground-prob-label">{label}</span>
      <span aria-hidden style={{ background: '#eaeef2', borderRadius: 3, height: 10, overflow: 'hidden' }}>
        <span style={{ display: 'block', height: '100%', width: pct, background: color }} />
      </span>
      <span className="playground-prob-value" style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>{pct}</span>
    </li>
  );
}

function PredictionView({ prediction, color }: { prediction: ServePrediction; color: string }) {
  if ('probabilities' in prediction) {
    const rows = Object.entries(prediction.probabilities).sort((a, b) => b[1] - a[1]);
    return (
      <>
        <p>Label: <strong data-testid="predicted-label">{prediction.label}</strong></p>
        <ul aria-label="Probabilities" style={{ listStyle: 'none', padding: 0, margin: 0, display: 'grid', gap: 4 }}>
          {rows.map(([label, p]) => <ProbabilityBar key={label} label={label} p={p} color={color} />)}
        </ul>
      </>
    );
  }
  if ('tokens' in prediction) {
    return (
      <p aria-label="Token tags" style={{ display: 'flex', flexWrap: 'wrap', gap: 4 }}>
        {prediction.tokens.map((t, i) => (
          <span key={i} className="playground-token" title={`${(t.probability * 100).toFixed(1)}%`} style={{ border: '1px solid #d0d7de', borderRadius: 4, padding: '1px 4px' }}>
            {t.token} <small style={{ color }}>{t.tag}</small>
          </span>
        ))}
      </p>
    );
  }
  return (
    <>
      <p>Continuation: <q data-testid="continuation">{prediction.continuation}</q></p>
      <p className="muted" style={{ margin: '4px 0' }}>Next token, top {prediction.topK.length}:</p>
      <ul aria-label="Probabilities" style={{ listStyle: 'none', padding: 0, margin: 0, display: 'grid', gap: 4 }}>
        {prediction.topK.map((t) => <ProbabilityBar key={t.id} label={JSON.stringify(t.token)} p={t.probability} color={color} />)}
      </ul>
    </>
  );
}

export function Playground({ sweepId, trials, objectiveName, defaultServeUrl }: PlaygroundProps) {
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(trials.filter((t) => t.best).map((t) => t.trialId)));
  const [text, setText] = useState('');
  const [serveUrl, setServeUrl] = useState(defaultServeUrl);
  const [serveToken, setServeToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [needsToken, setNeedsToken] = useState(false);
  const [result, setResult] = useState<{ server: { url: string; managed: boolean }; columns: PlaygroundColumn[] } | null>(null);
  const byId = new Map(trials.map((t) => [t.trialId, t]));

  function toggle(id: string) {
    setChosen((s) => {
      const next = new Set(s);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  }

  async function run() {
    if (!text || busy) return;
    setBusy(true);
    setError('');
    try {
      const body = {
        text, trialIds: trials.filter((t) => chosen.has(t.trialId)).map((t) => t.trialId),
        ...(serveUrl.trim() ? { serveUrl: serveUrl.trim() } : {}), ...(serveToken ? { serveToken } : {}),
      };
      const res = await fetch(`/api/sweeps/${sweepId}/playground`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      setNeedsToken(res.status === 401);
      const answer = (await res.json().catch(() => ({}))) as { error?: string; server?: { url: string; managed: boolean }; columns?: PlaygroundColumn[] };
      if (!res.ok || !answer.columns) throw new Error(answer.error ?? `HTTP ${res.status}`);
      setResult({ server: answer.server!, columns: answer.columns });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <form onSubmit={(e) => { e.preventDefault(); void run(); }} aria-label="Playground">
        <fieldset>
          <legend>Trials ({objectiveName}; ★ best of its method)</legend>
          {trials.length === 0 && <p className="muted">No completed trial of this sweep stored an adapter yet: only the base model can answer.</p>}
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: '4px 16px' }}>
            {trials.map((t) => (
              <label key={t.trialId} style={{ whiteSpace: 'nowrap' }}>
                <input type="checkbox" checked={chosen.has(t.trialId)} onChange={() => toggle(t.trialId)} />{' '}
                <span style={{ color: t.color }}>■</span> #{t.index} {t.methodLabel} <span className="muted">{t.objective}</span>{t.best ? ' ★' : ''}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="field">
          <label htmlFor="playground-text">Text</label>
          <textarea id="playground-text" rows={3} style={{ width: '100%' }} value={text} onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => { if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) { e.preventDefault(); void run(); } }} />
        </div>
        <details>
          <summary>Server</summary>
          <p className="muted">Empty: the dashboard starts <code>peft-lab serve --sweep {sweepId.slice(0, 8)}… --best-per-method</code> on a free local port (the first run takes a few seconds) and stops it when it stops.</p>
          <div className="field"><label htmlFor="playground-serve-url">Serve URL</label> <input id="playground-serve-url" type="url" placeholder="http://127.0.0.1:8080" value={serveUrl} onChange={(e) => setServeUrl(e.target.value)} size={40} /></div>
          <div className="field"><label htmlFor="playground-serve-token">Serve token</label> <input id="playground-serve-token" type="password" autoComplete="off" value={serveToken} onChange={(e) => setServeToken(e.target.value)} /></div>
        </details>
        <p><button type="submit" disabled={busy || !text}>{busy ? 'Predicting…' : 'Predict'}</button></p>
        {error && <p role="alert" className="error-text">{error}</p>}
        {needsToken && <SessionUnlock onUnlocked={() => { setNeedsToken(false); void run(); }} />}
      </form>
      {result && (
        <section aria-label="Predictions">
          <p className="muted">Served by {result.server.url}{result.server.managed ? ' (started by the dashboard)' : ''}.</p>
          <div style={{ display: 'grid', gridTemplateColumns: `repeat(auto-fill, minmax(240px, 1fr))`, gap: 12 }}>
            {result.columns.map((c) => {
              const t = c.trialId ? byId.get(c.trialId) : undefined;
              const color = t?.color ?? '#57606a';
              return (
                <article key={c.adapter} data-adapter={c.adapter} aria-label={c.adapter === 'base' ? 'base model' : c.adapter} className="card" style={{ border: '1px solid #d0d7de', borderRadius: 6, padding: 10 }}>
                  <h3 style={{ margin: '0 0 4px' }}>{c.adapter === 'base' ? 'Base model' : `#${c.index} ${t?.methodLabel ?? c.method}`} <small className="muted">{c.adapter}</small></h3>
                  <p className="muted" style={{ margin: '0 0 6px' }}>
                    {c.head && <>{c.head} · </>}
                    {c.latencyMs !== undefined && <span data-testid="latency">{c.latencyMs.toFixed(1)} ms</span>}
                  </p>
                  {c.prediction && <PredictionView prediction={c.prediction} color={color} />}
                  {c.error && <p role="alert" className="error-text">{c.status}: {c.error}</p>}
                </article>
              );
            })}
          </div>
        </section>
      )}
    </>
  );
}
