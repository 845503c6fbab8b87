/**
 * The per-method results table as plain strings, shared by Markdown, LaTeX and
 * HTML so all three print the same cells. Format-specific escaping happens in
 * the renderers, never here.
 */
import { METHOD_NAMES, type MethodAggregate, type SweepAggregate } from './aggregate.js';
import {
  MISSING,
  formatBytes,
  formatConfiguration,
  formatMeanStd,
  formatMs,
  formatPercent,
  formatRate,
  formatRatio,
  formatSigned,
} from './format-number.js';

export interface ResultsTable {
  header: string[];
  rows: string[][];
  /** One sentence per column explaining its unit and how it was computed. */
  legend: string[];
}

function withRatio(value: string, ratio: number | null | undefined, isBaseline: boolean): string {
  if (value === MISSING || isBaseline || ratio === null || ratio === undefined) return value;
  return `${value} (${formatRatio(ratio)})`;
}

/** "1.25× base [1.24–1.27]": a same-trial ratio and its inter-quartile range. */
function sameTrialRatio(r: number | null, q1: number | null, q3: number | null): string {
  return `${formatRatio(r)} base${q1 !== null && q3 !== null ? ` [${formatRatio(q1).replace('×', '')}–${formatRatio(q3).replace('×', '')}]` : ''}`;
}

function latencyCell(m: MethodAggregate): string {
  const c = m.best!.costs;
  // Trials with same-trial ratios show them (timed interleaved with the base model); older ones the ratio to full.
  if (c.latencyRatioBatch1 !== null) {
    const adapted = `${formatMs(c.latencyMsBatch1)} (${sameTrialRatio(c.latencyRatioBatch1, c.latencyRatioBatch1Q1, c.latencyRatioBatch1Q3)})`;
    return c.latencyMergedRatioBatch1 === null ? adapted
      : `${adapted}; merged ${formatMs(c.latencyMergedMsBatch1)} (${sameTrialRatio(c.latencyMergedRatioBatch1, c.latencyMergedRatioBatch1Q1, c.latencyMergedRatioBatch1Q3)})`;
  }
  const base = withRatio(formatMs(c.latencyMsBatch1), m.delta?.costs.latencyMsBatch1, m.method === 'full');
  return c.latencyMergedMsBatch1 === null ? base : `${base}; merged ${formatMs(c.latencyMergedMsBatch1)}`;
}

function forgettingCell(v: number | null): string {
  return v === null ? MISSING : `${formatSigned(v)} nats/token`;
}

export function resultsTable(agg: SweepAggregate): ResultsTable {
  const metric = agg.objective.metric;
  const header = [
    'Method',
    'Best configuration',
    `${metric} (mean ± std)`,
    'Δ vs full',
    'Trainable %',
    'Peak memory',
    'Tokens/s',
    'Latency (batch 1)',
    'Stored per task',
    'Forgetting',
  ];
  const rows = agg.methods.map((m) => {
    const name = METHOD_NAMES[m.method];
    if (!m.best) return [name, 'no completed trial', MISSING, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING];
    const c = m.best.costs;
    const d = m.delta?.costs;
    const isBase = m.method === 'full';
    return [
      m.best.label ? `${name} (${m.best.label})` : name,
      formatConfiguration(m.best.hyperparameters),
      formatMeanStd(m.best.mean, m.best.std, m.best.n),
      isBase ? 'baseline' : formatSigned(m.delta?.metric),
      formatPercent(c.trainablePercent),
      withRatio(formatBytes(c.peakBytes), d?.peakBytes, isBase),
      withRatio(formatRate(c.tokensPerSec), d?.tokensPerSec, isBase),
      latencyCell(m),
      withRatio(formatBytes(c.storedBytes), d?.storedBytes, isBase),
      forgettingCell(c.forgettingLoss),
    ];
  });
  const legend = [
    `Best configuration: highest mean ${metric} over seeds (${agg.objective.direction}); std is the sample std over seeds, "n=1" when only one seed finished.`,
    'Δ vs full: best configuration minus the full fine-tuning best configuration (absolute, in metric units).',
    'Cost columns: medians over the best configuration\'s completed trials; (k×) is the ratio to full fine-tuning.',
    'Latency: forward pass, batch 1; for methods that merge the merged-weights latency follows. "1.25× base [1.24–1.27]": median and inter-quartile range of the per-round ratio to the base model timed interleaved in the same trial; without it (older trials), (k×) is the ratio to full fine-tuning timed in another trial.',
    'Forgetting: causal-LM loss of the trained model on held-out general text minus the base model\'s (nats/token; higher = more forgotten); empty where not measured.',
  ];
  return { header, rows, legend };
}

/** Trial status counts per method, so failed, cancelled and pruned trials are never hidden. */
export function statusTable(agg: SweepAggregate): ResultsTable {
  const header = ['Method', 'Trials', 'Completed', 'Failed', 'Cancelled', 'Pruned', 'Queued/running', 'Configurations'];
  const rows = agg.methods.map((m) => [
    METHOD_NAMES[m.method],
    String(m.counts.total),
    String(m.counts.completed),
    String(m.counts.failed),
    String(m.counts.cancelled),
    String(m.counts.pruned),
    String(m.counts.queued + m.counts.running),
    String(m.configurations.length),
  ]);
  return { header, rows, legend: [] };
}
