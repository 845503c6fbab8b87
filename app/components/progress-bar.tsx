import type { TrialCounts } from '@peft-lab/db';

/**
 * done/running/queued/failed as one stacked bar, with the numbers in text for screen readers and tooltips.
 * Out of `planned`: an adaptive sweep's budget.maxTrials while it still suggests trials.
 */
export function ProgressBar({ counts }: { counts: TrialCounts }) {
  const planned = counts.planned ?? counts.total;
  const t = Math.max(1, planned);
  const other = counts.cancelled + counts.pruned;
  const text = `${counts.completed} done, ${counts.running} running, ${counts.queued} queued, ${counts.failed} failed${other ? `, ${other} cancelled or pruned` : ''} of ${planned}`;
  return (
    <div>
      <div className="progress" role="img" aria-label={text} title={text}>
        <span className="bar-completed" style={{ width: `${(100 * counts.completed) / t}%` }} />
        <span className="bar-running" style={{ width: `${(100 * counts.running) / t}%` }} />
        <span className="bar-failed" style={{ width: `${(100 * counts.failed) / t}%` }} />
        <span className="bar-other" style={{ width: `${(100 * other) / t}%` }} />
      </div>
      <small>{counts.completed}/{planned} done · {counts.running} running · {counts.queued} queued · {counts.failed} failed</small>
    </div>
  );
}
