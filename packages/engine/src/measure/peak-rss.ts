/**
 * The process's peak resident set size, and (on Linux) resetting it so a peak can be taken
 * over one trial or one phase instead of the process's life: writing "5" to
 * /proc/self/clear_refs resets VmHWM (Linux ≥ 4.0). Where that is refused or absent the
 * peak stays the process's (`scope: 'process'`), and callers label it so.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export type PeakRssScope = 'since-reset' | 'process';

/** Resets the peak RSS high-water mark; false when this OS or sandbox does not allow it. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS in bytes: VmHWM from /proc/self/status, else getrusage's maxRSS. */
export function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Starts a peak-RSS window: `peak()` is the highest RSS since, and says whether it is really the window's. */
export function peakRssWindow(): { scope: PeakRssScope; peak(): number } {
  const scope: PeakRssScope = resetPeakRss() ? 'since-reset' : 'process';
  return { scope, peak: peakRssBytes };
}
