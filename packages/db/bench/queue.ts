// `npm run bench:queue -- --json`: claim throughput/latency at 1, 8 and 32 concurrent
// claimers with 1,000 and 100,000 trials in the table, and metric ingest from 8 writers,
// against a throwaway embedded PostgreSQL. Targets: ≥ 500 claims/s and p99 ≤ 50 ms at 32
// claimers; latency at 100k within 2× of 1k; ingest ≥ 50,000 points/s.
import { getPool } from '../src/client';
import { createSweepWithTrials } from '../src/queries';
import { TrialQueue } from '../src/queue/trial-queue';
import { createTestDatabase } from '../src/testing';

const json = process.argv.includes('--json');
const log = (...a: unknown[]) => { if (!json) console.error(...a); };

const CLAIMERS = [1, 8, 32];
const TABLE_SIZES = [1_000, 100_000];
const CLAIMS_PER_RUN = 1_000;
const INGEST_WRITERS = 8;
const INGEST_BATCH = 2_000;
const INGEST_BATCHES_PER_WRITER = 20;

const t = await createTestDatabase();
const queue = new TrialQueue(t.db);
const pool = getPool(t.db);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function fillTable(total: number) {
  await pool.query('TRUNCATE "Sweep", "Trial", "MetricPoint", "Artifact" CASCADE');
  // Spread over sweeps of 1,000 like real use; created oldest first.
  for (let made = 0; made < total; made += 1_000) {
    const n = Math.min(1_000, total - made);
    await createSweepWithTrials(t.db, { name: `bench-${made}`, spec: {}, task: 'bench' },
      Array.from({ length: n }, (_, i) => ({ method: i % 5 ? 'lora' : 'full', hyperparameters: { r: 1 + (i % 16) }, seed: i })));
  }
  await pool.query('VACUUM ANALYZE "Trial"');
}

async function resetClaimed() {
  await pool.query(`UPDATE "Trial" SET "status" = 'queued', "leaseOwner" = NULL, "leaseToken" = NULL, "leaseExpiresAt" = NULL WHERE "status" = 'running'`);
  await pool.query('VACUUM ANALYZE "Trial"');
}

async function claimRun(claimers: number) {
  const latencies: number[] = [];
  let remaining = CLAIMS_PER_RUN;
  const start = performance.now();
  await Promise.all(Array.from({ length: claimers }, async (_, w) => {
    while (remaining > 0) {
      remaining--;
      const t0 = performance.now();
      const lease = await queue.claimNextTrial(`bench-${w}`, 60_000);
      latencies.push(performance.now() - t0);
      if (!lease) throw new Error('queue ran dry during the benchmark');
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    claimers,
    claims: latencies.length,
    claimsPerSec: round(latencies.length / seconds, 1),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

const claims: Record<string, ReturnType<typeof claimRun> extends Promise<infer R> ? R[] : never> = {};
for (const size of TABLE_SIZES) {
  log(`filling ${size} trials…`);
  await fillTable(size);
  claims[String(size)] = [];
  for (const c of CLAIMERS) {
    await claimRun(Math.min(c, 4)).then(resetClaimed); // warm up connections and plans
    const r = await claimRun(c);
    await resetClaimed();
    log(`${size} trials, ${c} claimers:`, r);
    claims[String(size)].push(r);
  }
}

log('metric ingest…');
await fillTable(INGEST_WRITERS);
const leases = await Promise.all(Array.from({ length: INGEST_WRITERS }, (_, w) => queue.claimNextTrial(`writer-${w}`, 600_000)));
const ingestStart = performance.now();
await Promise.all(leases.map(async (lease) => {
  for (let b = 0; b < INGEST_BATCHES_PER_WRITER; b++) {
    const points = Array.from({ length: INGEST_BATCH }, (_, i) => {
      const step = b * (INGEST_BATCH / 2) + (i >> 1);
      return { name: i & 1 ? 'train/loss' : 'train/lr', step, value: Math.random() };
    });
    await queue.writeMetricPoints(lease!, points);
  }
}));
const ingestSeconds = (performance.now() - ingestStart) / 1000;
const stored = Number((await pool.query('SELECT count(*) AS n FROM "MetricPoint"')).rows[0].n);
const ingest = {
  writers: INGEST_WRITERS,
  batch: INGEST_BATCH,
  points: stored,
  pointsPerSec: Math.round(stored / ingestSeconds),
};

const at32 = (size: number) => claims[String(size)].find((r) => r.claimers === 32)!;
const result = {
  claims,
  ingest,
  targets: {
    claimsPerSecAt32: { target: 500, actual: at32(1_000).claimsPerSec, met: at32(1_000).claimsPerSec >= 500 && at32(100_000).claimsPerSec >= 500 },
    p99MsAt32: { target: 50, actual: Math.max(at32(1_000).p99Ms, at32(100_000).p99Ms), met: Math.max(at32(1_000).p99Ms, at32(100_000).p99Ms) <= 50 },
    p50Ratio100kTo1k: {
      target: 2,
      actual: round(Math.max(...CLAIMERS.map((c, i) => claims['100000'][i].p50Ms / claims['1000'][i].p50Ms))),
      met: CLAIMERS.every((_, i) => claims['100000'][i].p50Ms <= 2 * claims['1000'][i].p50Ms),
    },
    ingestPointsPerSec: { target: 50_000, actual: ingest.pointsPerSec, met: ingest.pointsPerSec >= 50_000 },
  },
};
await t.cleanup();
console.log(JSON.stringify(result, null, json ? 0 : 2));
