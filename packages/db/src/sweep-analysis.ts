// The sweep page's analysis charts, in SQL: the optimisation history (best objective so far by
// trial index, computed by a window over the sweep's trials and downsampled there: every
// improvement, an even sample, the last trial) and the completed trials' parameters and
// values that hyperparameter importance (PED-ANOVA, @peft-lab/sweeps) and a multi-objective
// front read. One statement per sweep; the app computes importance and shapes the props.
import { getPool, type Db } from './client';

/** A JSON number as float8, NULL for anything else (a string or object must not abort the query). */
const num = (expr: string) => `(CASE WHEN jsonb_typeof(${expr}) = 'number' THEN (${expr})::text::float8 END)`;

export interface SweepAnalysisOptions {
  /** Where a trial keeps the primary objective: a `summary` key (eval_accuracy), else a `measurements` key (trainableParams). */
  summaryKey: string | null;
  direction: 'maximize' | 'minimize';
  /** History points besides the improvements (which always show). Default 300. */
  maxHistoryPoints?: number;
}

export interface SweepAnalysisRows {
  /** The spec's strategy type (grid | random | tpe); grid when the spec names none. */
  strategy: string;
  /** The sweep's spec (its `objectives`, for multi-objective charts; its search space, for importance's domains). */
  spec: unknown;
  /** Trials of the sweep (any status). */
  total: number;
  /** [trial index, its value (completed trials only), best so far], by index: improvements, a sample and the last trial. */
  history: [number, number | null, number | null][];
  /**
   * Completed trials, by index, each with its stored hyperparameters and the primary value (null: not recorded);
   * `summary` and `measurements` only when the spec has two or more objectives (null otherwise).
   */
  completed: { index: number; method: string; hyperparameters: unknown; summary: unknown; measurements: unknown; value: number | null }[];
}

const SQL = `
  WITH multi AS (
    -- summary and measurements travel only for a multi-objective spec (its objectives' values): they are most of a row
    SELECT COALESCE(CASE WHEN jsonb_typeof(s."spec"::jsonb -> 'objectives') = 'array' THEN jsonb_array_length(s."spec"::jsonb -> 'objectives') >= 2 END, false) AS enabled
    FROM "Sweep" s WHERE s."id" = $1),
  a AS MATERIALIZED (
    SELECT t."index", t."method", t."hyperparameters", t."summary", t."measurements", t."status",
           CASE WHEN t."status" = 'completed' THEN COALESCE(${num(`t."summary" -> $2::text`)}, ${num(`t."measurements" -> $2::text`)}) END AS value
    FROM "Trial" t WHERE t."sweepId" = $1),
  h AS (
    -- best so far: the running max of value × direction ($3 = +1 maximise, −1 minimise)
    SELECT "index", value, max(value * $3::float8) OVER (ORDER BY "index" ROWS UNBOUNDED PRECEDING) * $3::float8 AS best,
           row_number() OVER (ORDER BY "index") AS rn, count(*) OVER () AS n
    FROM a),
  hk AS (SELECT *, best IS DISTINCT FROM lag(best) OVER (ORDER BY "index") AS improved FROM h)
  SELECT
    COALESCE((SELECT s."spec" -> 'strategy' ->> 'type' FROM "Sweep" s WHERE s."id" = $1), 'grid') AS strategy,
    (SELECT s."spec" FROM "Sweep" s WHERE s."id" = $1) AS spec,
    (SELECT count(*)::int FROM a) AS total,
    (SELECT json_agg(json_build_array("index", value, best) ORDER BY "index") FROM hk
       WHERE improved OR rn = n OR rn % GREATEST(1, ceil(n / $4::float8))::int = 0) AS history,
    (SELECT json_agg(json_build_object('index', "index", 'method', "method", 'hyperparameters', "hyperparameters",
       'summary', CASE WHEN (SELECT enabled FROM multi) THEN "summary" END, 'measurements', CASE WHEN (SELECT enabled FROM multi) THEN "measurements" END,
       'value', value) ORDER BY "index") FROM a WHERE "status" = 'completed') AS completed`;

/** The analysis rows of one sweep (see SweepAnalysisRows). */
export async function sweepAnalysisRows(db: Db, sweepId: string, opts: SweepAnalysisOptions): Promise<SweepAnalysisRows> {
  const max = Number.isInteger(opts.maxHistoryPoints) && opts.maxHistoryPoints! > 0 ? opts.maxHistoryPoints! : 300;
  const { rows: [r] } = await getPool(db).query(SQL, [sweepId, opts.summaryKey ?? '', opts.direction === 'maximize' ? 1 : -1, max]);
  return { strategy: r.strategy ?? 'grid', spec: r.spec ?? null, total: r.total ?? 0, history: r.history ?? [], completed: r.completed ?? [] };
}
