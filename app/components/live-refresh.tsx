'use client';
// Keeps a server-rendered page live: while the sweep is unfinished it re-fetches
// the page's server components every `intervalMs` (router.refresh keeps client
// state such as the selected series and scroll position). ≤ 2 s behind the DB.
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';

export function LiveRefresh({ active, intervalMs = 1500 }: { active: boolean; intervalMs?: number }) {
  const router = useRouter();
  const [paused, setPaused] = useState(false);
  const [at, setAt] = useState<string>('');
  useEffect(() => {
    if (!active || paused) return;
    const t = setInterval(() => {
      router.refresh();
      setAt(new Date().toLocaleTimeString());
    }, intervalMs);
    return () => clearInterval(t);
  }, [active, paused, intervalMs, router]);
  if (!active) return <p className="live" data-live="off">Finished: not refreshing.</p>;
  return (
    <p className="live" data-live={paused ? 'paused' : 'on'} aria-live="off">
      {paused ? 'Live updates paused.' : `Live: refreshing every ${intervalMs / 1000} s${at ? ` (last ${at})` : ''}.`}{' '}
      <button type="button" className="link-button" onClick={() => setPaused((p) => !p)}>{paused ? 'Resume' : 'Pause'}</button>
    </p>
  );
}
