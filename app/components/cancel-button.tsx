'use client';
// POSTs to an API cancel route, then refreshes the page so the new status shows.
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { SessionUnlock } from './session-unlock';

export function CancelButton({ url, label, confirmText }: { url: string; label: string; confirmText?: string }) {
  const router = useRouter();
  const [state, setState] = useState<'idle' | 'busy' | 'error'>('idle');
  const [message, setMessage] = useState('');
  const [needsToken, setNeedsToken] = useState(false);
  async function cancel(confirmed = false) {
    if (!confirmed && confirmText && !window.confirm(confirmText)) return;
    setState('busy');
    try {
      const res = await fetch(url, { method: 'POST' });
      // PEFT_LAB_TOKEN is set: ask for it once, then cancel.
      setNeedsToken(res.status === 401);
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        throw new Error((body as { error?: string; message?: string }).message ?? (body as { error?: string }).error ?? `HTTP ${res.status}`);
      }
      setState('idle');
      router.refresh();
    } catch (err) {
      setState('error');
      setMessage((err as Error).message);
    }
  }
  return (
    <span className="cancel">
      <button type="button" className="danger" onClick={() => void cancel()} disabled={state === 'busy'}>{state === 'busy' ? 'Cancelling…' : label}</button>
      {state === 'error' && <span role="alert" className="error-text"> {message}</span>}
      {needsToken && <SessionUnlock onUnlocked={() => { setNeedsToken(false); void cancel(true); }} />}
    </span>
  );
}
