/** The three kinds of task the engine knows how to train. */
export type TaskKind = 'sequence-classification' | 'token-classification' | 'causal-lm';

export type SplitName = 'train' | 'validation' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

/** Metric names the engine computes; `metric` of a task is its primary one. */
export type MetricName = 'accuracy' | 'f1' | 'macro-f1' | 'token-accuracy' | 'perplexity';

/** `id` is stable across machines and runs: split hashes and tests rely on it. */
export interface ClassificationExample {
  id: string;
  text: string;
  label: string;
}
export interface TokenClassificationExample {
  id: string;
  tokens: string[];
  tags: string[];
}
export interface LanguageModelingExample {
  id: string;
  text: string;
}
export type TaskExample = ClassificationExample | TokenClassificationExample | LanguageModelingExample;

export interface TaskInfo {
  name: string;
  kind: TaskKind;
  /** The primary metric (what a sweep optimises by default). */
  metric: MetricName;
  /** Every metric worth reporting, primary first. */
  metrics: MetricName[];
  /** Class labels (classification) or tag set (token classification); [] for causal LM. */
  labels: string[];
  /** For binary F1: which label counts as positive. */
  positiveLabel?: string;
  sizes: Record<SplitName, number>;
  description: string;
  source: string;
  licence: string;
}

export interface TaskSplits<E extends TaskExample = TaskExample> {
  train: E[];
  validation: E[];
  test: E[];
}

export interface LoadedTask<E extends TaskExample = TaskExample> {
  info: TaskInfo;
  splits: TaskSplits<E>;
}

export interface LoadTaskOptions {
  /** Keep at most this many examples per split (a seeded random subset: the split's first N in hash order). */
  maxExamples?: number;
}
