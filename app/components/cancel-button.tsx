'use client';
// POSTs to an API cancel route, then refreshes the page so the new status shows.
import { useRouter } from 'next/navigation';
import { useState } from 'react';

export function CancelButton({ url, label, confirmText }: { url: string; label: string; confirmText?: string }) {
  const router = useRouter();
  const [state, setState] = useState<'idle' | 'busy' | 'error'>('idle');
  const [message, setMessage] = useState('');
  async function cancel() {
    if (confirmText && !window.confirm(confirmText)) return;
    setState('busy');
    try {
      const res = await fetch(url, { method: 'POST' });
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
      <button type="button" className="danger" onClick={cancel} disabled={state === 'busy'}>{state === 'busy' ? 'Cancelling…' : label}</button>
      {state === 'error' && <span role="alert" className="error-text"> {message}</span>}
    </span>
  );
}
