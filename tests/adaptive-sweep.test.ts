// An adaptive (tpe) sweep trained end to end by a real worker on a real embedded PostgreSQL:
// no trials at submission, each one suggested when a worker slot claims (queue/adaptive.ts
// of @peft-lab/db), trained by the engine from the stored hyperparameters, to maxTrials.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSweep, submitSweep } from '@peft-lab/db';
import { createTestDatabase, type TestDatabase } from '@peft-lab/db/testing';
import { runWorker, silentLogger } from '@peft-lab/worker';
import { runCli } from './helpers/run-cli';
import { registerTinyFixtures, tinySpec } from './helpers/worker-fixtures';

let t: TestDatabase;
let dir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  await registerTinyFixtures(t.db);
  dir = mkdtempSync(join(tmpdir(), 'peft-lab-adaptive-'));
}, 120_000);
afterAll(async () => {
  await t?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('adaptive sweep with a worker', () => {
  it('a tpe sweep of 5 trials (2 startup) runs to completion: distinct trials, all completed, sweep completed', async () => {
    const spec = tinySpec(
      'tpe-worker',
      [{ method: 'lora', space: { r: [2, 4, 8] } }],
      { maxSteps: 4, evalEvery: 2, lr: { min: 1e-3, max: 1e-2, scale: 'log' } },
      { strategy: { type: 'tpe', seed: 5, startupTrials: 2 }, budget: { maxTrials: 5 } },
    );
    const { sweep, trialIds } = await submitSweep(t.db, spec);
    expect(trialIds).toEqual([]);
    expect((await getSweep(t.db, sweep.id)).counts).toMatchObject({ total: 0, planned: 5 });

    const summary = await runWorker({
      db: t.db, once: true, concurrency: 2, leaseMs: 5_000, pollMs: 100, progress: 'off', handleSignals: false,
      measureLatency: false, log: silentLogger(),
    });
    expect(summary.outcomes.completed).toBe(5);

    const trials = await t.db.trial.findMany({ where: { sweepId: sweep.id }, orderBy: { index: 'asc' } });
    expect(trials.map((x) => x.index)).toEqual([0, 1, 2, 3, 4]);
    for (const trial of trials) {
      expect(trial.status, `${trial.method}: ${trial.error}`).toBe('completed');
      const hp = trial.hyperparameters as { training: { maxSteps: number; lr: number }; configKey: string };
      // The worker trained what was suggested: the stored training parameters, the stored steps.
      expect(hp.training.maxSteps).toBe(4);
      expect((trial.summary as { steps: number }).steps).toBe(4);
      expect(typeof (trial.summary as { eval_accuracy?: unknown }).eval_accuracy).toBe('number');
      expect(trial.progressTotal).toBe(4);
    }
    expect(new Set(trials.map((x) => (x.hyperparameters as { configKey: string }).configKey)).size).toBe(5);
    // The startup trials: one per entry in order — the LoRA entry, then the added full baseline.
    expect(trials.slice(0, 2).map((x) => x.method).sort()).toEqual(['full', 'lora']);

    const final = await getSweep(t.db, sweep.id);
    expect(final.status).toBe('completed');
    expect(final.finishedAt).not.toBeNull();
    expect(final.counts).toMatchObject({ completed: 5, total: 5, planned: 5 });
  });

  it('peft-lab sweep create / status / run: progress is n of maxTrials', async () => {
    const env = { DATABASE_URL: t.url };
    const spec = tinySpec(
      'tpe-cli',
      [{ method: 'lora', space: { r: [2, 4, 8] } }],
      { maxSteps: 2, evalEvery: 2, lr: { min: 1e-3, max: 1e-2, scale: 'log' } },
      { strategy: { type: 'tpe', seed: 2, startupTrials: 2 }, budget: { maxTrials: 3 } },
    );
    const file = join(dir, 'tpe.json');
    writeFileSync(file, JSON.stringify(spec));
    const created = await runCli(['sweep', 'create', file], env);
    expect(created.code, created.stderr).toBe(0);
    // valid, so created; but 3 trials with 2 entries are all initial design, and stderr says so
    expect(created.stderr).toMatch(/tpe\.json: note: budget\.maxTrials: 3 trials with 2 method entries are all TPE's initial design/);
    const id = created.stdout.trim();
    const status = await runCli(['sweep', 'status', id], env);
    expect(status.stdout, status.stderr).toMatch(/: queued — 0\/3 completed, 0 running, 0 queued/);
    await t.db.sweep.update({ where: { id }, data: { status: 'cancelled' } }); // the run below is its own sweep

    const run = await runCli(['sweep', 'run', file, '--lease-ms', '5000', '--no-progress'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/adaptive, up to 3 trials suggested one at a time/);
    expect(run.stdout).toMatch(/sweep completed: 3 completed, 0 failed/);
    const runId = /^sweep (\S+) \(/m.exec(run.stdout)![1];
    expect((await runCli(['sweep', 'status', runId], env)).stdout).toMatch(/: completed — 3\/3 completed/);
  }, 180_000);
});
