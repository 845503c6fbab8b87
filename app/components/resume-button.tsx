'use client';
// "Resume" on a finished sweep: POST /api/sweeps/[id]/resume (failed and cancelled trials
// re-queued as new attempts; an adaptive sweep's budget raised to the number typed), then refresh.
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { SessionUnlock } from './session-unlock';

export interface ResumeButtonProps {
  sweepId: string;
  /** Failed or cancelled trials not retried yet. */
  retryable: number;
  /** Adaptive sweeps: the trials it has (the new budget must exceed it) and its budget.maxTrials. */
  adaptive?: { trials: number; maxTrials: number | null };
}

export function ResumeButton({ sweepId, retryable, adaptive }: ResumeButtonProps) {
  const router = useRouter();
  const [state, setState] = useState<'idle' | 'busy' | 'error'>('idle');
  const [message, setMessage] = useState('');
  const [needsToken, setNeedsToken] = useState(false);
  const spent = adaptive ? adaptive.maxTrials === null || adaptive.trials >= adaptive.maxTrials : false;
  const [maxTrials, setMaxTrials] = useState(adaptive && spent ? String(adaptive.trials + Math.max(1, Math.ceil(adaptive.trials / 2))) : '');
  async function resume() {
    setState('busy');
    try {
      const body = adaptive && maxTrials.trim() !== '' ? { maxTrials: Number(maxTrials) } : {};
      const res = await fetch(`/api/sweeps/${sweepId}/resume`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      setNeedsToken(res.status === 401);
      if (!res.ok) {
        const b = (await res.json().catch(() => ({}))) as { error?: string };
        throw new Error(b.error ?? `HTTP ${res.status}`);
      }
      setState('idle');
      router.refresh();
    } catch (err) {
      setState('error');
      setMessage((err as Error).message);
    }
  }
  const what = [retryable ? `re-queue ${retryable} failed/cancelled trial${retryable === 1 ? '' : 's'}` : '', adaptive && maxTrials ? `continue to ${maxTrials} trials` : ''].filter(Boolean).join(', ');
  return (
    <span className="resume">
      {adaptive && (
        <label>
          {' '}Max trials{' '}
          <input type="number" min={adaptive.trials + 1} step={1} value={maxTrials} onChange={(e) => setMaxTrials(e.target.value)} aria-label="New budget.maxTrials" style={{ width: '6em' }} />
        </label>
      )}
      <button type="button" onClick={() => void resume()} disabled={state === 'busy'} title={what}>{state === 'busy' ? 'Resuming…' : 'Resume'}</button>
      {state === 'error' && <span role="alert" className="error-text"> {message}</span>}
      {needsToken && <SessionUnlock onUnlocked={() => { setNeedsToken(false); void resume(); }} />}
    </span>
  );
}
