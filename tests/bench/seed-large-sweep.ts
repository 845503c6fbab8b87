// Seeds one large finished sweep straight in SQL (generate_series): trials of all
// five methods with summaries and measurements in the worker's shape, and their
// metric points. Bench data only: the numbers are synthetic, the sweep's name says so.
import type pg from 'pg';

export interface SeededSweep { sweepId: string; trials: number; metricPoints: number; ms: number }

/** @param pointsPerTrial split 80 % train/loss, 20 % eval/accuracy */
export async function seedLargeSweep(pool: pg.Pool, opts: { trials?: number; pointsPerTrial?: number } = {}): Promise<SeededSweep> {
  const trials = opts.trials ?? 10_000;
  const perTrial = opts.pointsPerTrial ?? 100;
  const evalPoints = Math.max(1, Math.round(perTrial * 0.2));
  const trainPoints = perTrial - evalPoints;
  const t0 = Date.now();
  const spec = {
    name: 'bench-synthetic-10k', task: 'spam', baseModel: 'builtin', objective: { metric: 'accuracy', direction: 'maximize' },
    methods: [{ method: 'lora', space: { r: [1, 2, 4, 8, 16, 32] } }, { method: 'adapter' }, { method: 'prefix' }, { method: 'prompt' }],
    training: { lr: 5e-4, maxSteps: trainPoints }, seeds: 3,
  };
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO "Sweep" ("id", "name", "spec", "task", "status", "startedAt", "finishedAt")
     VALUES (gen_random_uuid()::text, 'bench-synthetic-10k (synthetic numbers)', $1::jsonb, 'spam', 'completed', now() - interval '1 hour', now()) RETURNING "id"`,
    [JSON.stringify(spec)]);
  const sweepId = rows[0].id;
  await pool.query(`SELECT setseed(0.42)`);
  // method by i % 5; one key hyperparameter per method; metric rises with capacity, plus noise.
  await pool.query(`
    WITH base AS (
      SELECT i, (ARRAY['full','lora','adapter','prefix','prompt'])[i % 5 + 1] AS method, (i / 5) % 6 AS k, i % 3 AS seed, random() AS u, random() AS u2
      FROM generate_series(0, $2::int - 1) i)
    INSERT INTO "Trial" ("id", "sweepId", "index", "method", "hyperparameters", "seed", "status", "summary", "measurements", "backend",
                         "progressStep", "progressTotal", "startedAt", "finishedAt")
    SELECT gen_random_uuid()::text, $1, i, method,
      CASE method
        WHEN 'full' THEN jsonb_build_object('training', jsonb_build_object('lr', (ARRAY[1e-4, 3e-4, 1e-3])[k % 3 + 1]))
        WHEN 'lora' THEN jsonb_build_object('r', power(2, k)::int, 'alpha', 16, 'dropout', 0, 'useRslora', false, 'training', jsonb_build_object('lr', (ARRAY[1e-4, 3e-4, 1e-3])[k % 3 + 1]))
        WHEN 'adapter' THEN jsonb_build_object('bottleneck', power(2, k + 2)::int, 'placement', (ARRAY['houlsby','pfeiffer'])[k % 2 + 1], 'activation', 'relu', 'training', jsonb_build_object('lr', (ARRAY[1e-4, 3e-4, 1e-3])[k % 3 + 1]))
        WHEN 'prefix' THEN jsonb_build_object('prefixLength', 4 * (k + 1), 'reparameterize', k % 2 = 0, 'training', jsonb_build_object('lr', (ARRAY[1e-4, 3e-4, 1e-3])[k % 3 + 1]))
        ELSE jsonb_build_object('promptLength', 5 * (k + 1), 'init', (ARRAY['random','vocab','text'])[k % 3 + 1], 'training', jsonb_build_object('lr', (ARRAY[1e-4, 3e-4, 1e-3])[k % 3 + 1]))
      END,
      seed, 'completed',
      jsonb_build_object('eval_accuracy', LEAST(0.99, CASE method WHEN 'full' THEN 0.93 WHEN 'lora' THEN 0.86 + 0.012 * k WHEN 'adapter' THEN 0.85 + 0.01 * k WHEN 'prefix' THEN 0.80 + 0.01 * k ELSE 0.74 + 0.012 * k END + 0.02 * (u - 0.5)),
                         'final_loss', 0.2 + 0.3 * u2, 'steps', ${trainPoints}),
      jsonb_build_object(
        'trainableParams', CASE method WHEN 'full' THEN 12000000 WHEN 'lora' THEN 18432 * power(2, k) WHEN 'adapter' THEN 12288 * power(2, k + 2) WHEN 'prefix' THEN 6144 * 4 * (k + 1) ELSE 256 * 5 * (k + 1) END,
        'totalParams', 12000000,
        'peakBytes', CASE method WHEN 'full' THEN 410000000 ELSE 160000000 + 1000000 * k END * (0.95 + 0.1 * u2),
        'tokensPerSec', CASE method WHEN 'full' THEN 2400 WHEN 'lora' THEN 3900 WHEN 'adapter' THEN 3600 WHEN 'prefix' THEN 3700 ELSE 4100 END * (0.9 + 0.2 * u),
        'storedBytes', CASE method WHEN 'full' THEN 48000000 WHEN 'lora' THEN 73728 * power(2, k) WHEN 'adapter' THEN 49152 * power(2, k + 2) WHEN 'prefix' THEN 98304 * (k + 1) ELSE 5120 * (k + 1) END,
        'latency', jsonb_build_object('batch1Ms', CASE method WHEN 'adapter' THEN 9.5 WHEN 'prefix' THEN 8.9 WHEN 'prompt' THEN 8.8 ELSE 8.1 END * (0.95 + 0.1 * u2))),
      'tensorflow', ${trainPoints}, ${trainPoints}, now() - interval '50 minutes', now() - interval '10 minutes'
    FROM base`, [sweepId, trials]);
  await pool.query(`
    INSERT INTO "MetricPoint" ("trialId", "name", "step", "value")
    SELECT t."id", 'train/loss', s, 2.5 * exp(-s / 30.0) + 0.2 + 0.05 * random() FROM "Trial" t, generate_series(1, ${trainPoints}) s WHERE t."sweepId" = $1
    UNION ALL
    SELECT t."id", 'eval/accuracy', s * ${Math.max(1, Math.floor(trainPoints / evalPoints))}, 0.5 + 0.4 * (1 - exp(-s / 5.0)) + 0.02 * random() FROM "Trial" t, generate_series(1, ${evalPoints}) s WHERE t."sweepId" = $1`,
    [sweepId]);
  await pool.query(`ANALYZE "Trial"; ANALYZE "MetricPoint"`);
  return { sweepId, trials, metricPoints: trials * perTrial, ms: Date.now() - t0 };
}
