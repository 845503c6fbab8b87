// Narrow, already-aggregated props of the dashboard charts (server → client).
// Everything here is plain JSON: the server does the counting and downsampling.

export interface Objective {
  /** Display name, e.g. accuracy. */
  metric: string;
  /** The summary key holding it, e.g. eval_accuracy. */
  key: string | null;
  direction: 'maximize' | 'minimize';
}

export interface ParetoPoint {
  /** The trial's index in its sweep. */
  index: number;
  method: string;
  params: number;
  metric: number;
  front: boolean;
  /** Trained minus base causal-LM loss on held-out general text (nats/token); null: not measured. */
  forgetting: number | null;
}
export interface ParetoData {
  points: ParetoPoint[];
  /** Completed trials with both numbers, before downsampling. */
  total: number;
  fullFtMetric: number | null;
}

export interface CurvePoint { step: number; value: number }
export interface CurveSeries {
  trialId: string;
  index: number;
  method: string;
  /** train/loss, eval/accuracy … */
  name: string;
  points: CurvePoint[];
}

export interface ParallelAxis {
  name: string;
  kind: 'number' | 'category';
  log: boolean;
  min: number;
  max: number;
  categories?: string[];
}
export interface ParallelLine {
  /** The trial's index in its sweep. */
  index: number;
  method: string;
  /** One value per axis (category index for category axes), null = not set for this method. */
  values: (number | null)[];
}
export interface ParallelData { axes: ParallelAxis[]; lines: ParallelLine[]; total: number }

export interface MethodStat {
  method: string;
  /** The best configuration (by mean over seeds) of the method. */
  config: string;
  mean: number;
  std: number | null;
  n: number;
  /** Display label when not just the method (e.g. "sweep-a: LoRA" on the compare page). */
  label?: string;
}

export interface CostRow {
  measure: string;
  unit: string;
  /** method → median of the measure over completed trials (absolute, in `unit`). */
  values: Record<string, number | null>;
  /** method → value / full FT value (null without a full FT baseline). */
  ratios: Record<string, number | null>;
}

export interface EffectPoint { value: number; mean: number; std: number | null; n: number }
export interface EffectSeries { method: string; param: string; points: EffectPoint[] }

export interface SweepChartsData {
  objective: Objective;
  backends: { backend: string; n: number }[];
  pareto: ParetoData;
  curves: CurveSeries[];
  parallel: ParallelData;
  methodStats: MethodStat[];
  costs: CostRow[];
  effects: EffectSeries[];
  completed: number;
  /** PED-ANOVA over all methods, then per method. */
  importance: ImportanceScope[];
  history: HistorySeries;
  /** Null unless the spec has two or more objectives. */
  objectives: ObjectivesData | null;
}

export interface ImportanceBar {
  /** `method`, `lora.r`, `lr` … */
  param: string;
  /** Share of the total, in [0, 1]. */
  importance: number;
  /** Completed trials that had the parameter, and how many of them were in the top 10 %. */
  trials: number;
  topTrials: number;
}
export interface ImportanceScope {
  /** 'all' (every method; the method is a parameter) or a method name (that method's trials only). */
  scope: string;
  /** Set instead of bars: "not enough trials: needs 11 completed, has 4". */
  message: string | null;
  bars: ImportanceBar[];
  /** Varying parameters with too few trials of their own to be scored. */
  unscored: { param: string; trials: number }[];
  completed: number;
}

export interface HistoryPoint { index: number; value: number | null; best: number | null }
export interface HistorySeries {
  /** The sweep's name on the compare page; empty on the sweep page. */
  label: string;
  /** grid | random | tpe */
  strategy: string;
  points: HistoryPoint[];
  /** Trials in the sweep (the points are its improvements plus a sample). */
  total: number;
}

export interface ObjectivePoint { index: number; method: string; x: number; y: number; front: boolean }
/** A multi-objective sweep's first two objectives against each other, the non-dominated front marked. */
export interface ObjectivesData {
  x: { metric: string; direction: 'maximize' | 'minimize' };
  y: { metric: string; direction: 'maximize' | 'minimize' };
  points: ObjectivePoint[];
  /** Completed trials with both values, before downsampling. */
  total: number;
}
