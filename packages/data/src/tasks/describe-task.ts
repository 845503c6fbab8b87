import type { TaskExample, TaskSplits } from '../types.js';
import { SPLIT_NAMES } from '../types.js';
import { loadTask } from './registry.js';

/** Per split: label → count (classification: examples; token classification: tokens). */
export function countLabels(splits: TaskSplits): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const split of SPLIT_NAMES) {
    const c: Record<string, number> = {};
    for (const example of splits[split]) {
      const labels = 'label' in example ? [example.label] : 'tags' in example ? example.tags : [];
      for (const label of labels) c[label] = (c[label] ?? 0) + 1;
    }
    counts[split] = c;
  }
  return counts;
}

function preview(example: TaskExample, maxChars = 160): string {
  const clip = (s: string) => {
    const flat = s.replace(/\s+/g, ' ');
    return flat.length > maxChars ? `${flat.slice(0, maxChars)}…` : flat;
  };
  if ('tags' in example) return clip(example.tokens.map((t, i) => `${t}/${example.tags[i]}`).join(' '));
  if ('label' in example) return `[${example.label}] ${clip(example.text)}`;
  return clip(example.text);
}

/**
 * The text `peft-lab data show NAME` prints: description, source, licence,
 * metric, sizes, label counts per split and the first 3 training examples.
 */
export function describeTask(name: string): string {
  const { info, splits } = loadTask(name);
  const counts = countLabels(splits);
  const lines = [
    `${info.name} (${info.kind})`,
    info.description,
    `source: ${info.source}`,
    `licence: ${info.licence}`,
    `metric: ${info.metric}${info.metrics.length > 1 ? ` (also ${info.metrics.slice(1).join(', ')})` : ''}`,
    `sizes: train ${info.sizes.train}, validation ${info.sizes.validation}, test ${info.sizes.test}`,
  ];
  if (info.labels.length > 0) {
    const unit = info.kind === 'token-classification' ? 'tokens per tag' : 'examples per label';
    lines.push(`${unit} (train / validation / test):`);
    const width = Math.max(...info.labels.map((l) => l.length));
    for (const label of info.labels) {
      const per = SPLIT_NAMES.map((s) => String(counts[s][label] ?? 0)).join(' / ');
      lines.push(`  ${label.padEnd(width)}  ${per}`);
    }
  }
  lines.push('examples (train):');
  for (const example of splits.train.slice(0, 3)) lines.push(`  ${example.id}: ${preview(example)}`);
  return lines.join('\n');
}
