'use client';
// Shown when a change was refused with 401 because the server has PEFT_LAB_TOKEN set: asks
// for the token once, unlocks this browser (POST /api/session sets an httpOnly cookie), then
// lets the caller retry what was refused. A group, not a <form>: it sits inside the sweep form.
import { useState } from 'react';

export function SessionUnlock({ onUnlocked }: { onUnlocked: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  async function unlock() {
    if (!token || busy) return;
    setBusy(true);
    setError('');
    try {
      const res = await fetch('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      if (!res.ok) { setError(body.error ?? `HTTP ${res.status}`); return; }
      onUnlocked();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div role="group" aria-labelledby="session-unlock-title" className="session-unlock" data-testid="session-unlock">
      <p id="session-unlock-title">This PEFT Lab server needs its token (PEFT_LAB_TOKEN) before it accepts changes. Enter it once for this browser.</p>
      <label htmlFor="session-token">Token </label>
      <input id="session-token" type="password" autoComplete="current-password" value={token} autoFocus
        onChange={(e) => setToken(e.target.value)}
        onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); void unlock(); } }} />
      {' '}<button type="button" onClick={() => void unlock()} disabled={busy || !token}>{busy ? 'Unlocking…' : 'Unlock'}</button>
      {error && <span role="alert" className="error-text"> {error}</span>}
    </div>
  );
}
