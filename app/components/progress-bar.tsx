import type { TrialCounts } from '@peft-lab/db';

/** done/running/queued/failed as one stacked bar, with the numbers in text for screen readers and tooltips. */
export function ProgressBar({ counts }: { counts: TrialCounts }) {
  const t = Math.max(1, counts.total);
  const other = counts.cancelled + counts.pruned;
  const text = `${counts.completed} done, ${counts.running} running, ${counts.queued} queued, ${counts.failed} failed${other ? `, ${other} cancelled or pruned` : ''} of ${counts.total}`;
  return (
    <div>
      <div className="progress" role="img" aria-label={text} title={text}>
        <span className="bar-completed" style={{ width: `${(100 * counts.completed) / t}%` }} />
        <span className="bar-running" style={{ width: `${(100 * counts.running) / t}%` }} />
        <span className="bar-failed" style={{ width: `${(100 * counts.failed) / t}%` }} />
        <span className="bar-other" style={{ width: `${(100 * other) / t}%` }} />
      </div>
      <small>{counts.completed}/{counts.total} done · {counts.running} running · {counts.queued} queued · {counts.failed} failed</small>
    </div>
  );
}
