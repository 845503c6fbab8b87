import type pg from 'pg';
import type { newTrialSchema } from './inputs';
import type { z } from 'zod';

const BATCH = 10_000;

/**
 * Inserts parsed trials of one sweep with one multi-row statement per 10k (unnest of
 * parallel arrays): Prisma's createMany needs seconds for a few thousand rows here.
 * Runs on the caller's client, inside the caller's transaction.
 */
export async function insertTrials(client: pg.PoolClient, sweepId: string, trials: z.output<typeof newTrialSchema>[], firstIndex: number): Promise<string[]> {
  let next = firstIndex;
  const ids: string[] = [];
  for (let start = 0; start < trials.length; start += BATCH) {
    const chunk = trials.slice(start, start + BATCH);
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO "Trial" ("id", "sweepId", "index", "method", "hyperparameters", "seed", "priority", "maxAttempts", "progressTotal")
       SELECT gen_random_uuid()::text, $1, i, m, h, s, p, a, pt
       FROM unnest($2::int[], $3::text[], $4::jsonb[], $5::int[], $6::int[], $7::int[], $8::int[])
         WITH ORDINALITY AS x(i, m, h, s, p, a, pt, o)
       ORDER BY o
       RETURNING "id"`,
      [
        sweepId,
        chunk.map((t) => t.index ?? next++),
        chunk.map((t) => t.method),
        chunk.map((t) => JSON.stringify(t.hyperparameters)),
        chunk.map((t) => t.seed),
        chunk.map((t) => t.priority),
        chunk.map((t) => t.maxAttempts),
        chunk.map((t) => t.progressTotal ?? null),
      ],
    );
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}

/** BEGIN … COMMIT on one pooled client, ROLLBACK on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
