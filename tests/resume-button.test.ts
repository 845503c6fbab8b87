// The sweep page's Resume button in Debian's Chromium, against the built app on a real
// PostgreSQL: shown only for a finished sweep with something to resume, it re-queues the
// failed and cancelled trials, and for an adaptive sweep raises the budget typed beside it.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitSweep, TrialQueue, type Db } from '@peft-lab/db';
import type { RunningApp } from './helpers/start-app';
import { openDashboard, type Dashboard } from './helpers/open-dashboard';

let db: Db;
let app: RunningApp;
let page: Page;
let pageErrors: string[];
let dash: Dashboard | undefined;

beforeAll(async () => {
  dash = await openDashboard();
  ({ database: { db }, app, page, pageErrors } = dash);
}, 900_000);

afterAll(() => dash?.close());

/** Runs every claimable trial to the outcome `plan` gives its index. */
async function runAll(plan: (index: number) => 'complete' | 'fail' | 'cancel') {
  const queue = new TrialQueue(db);
  for (let lease = await queue.claimNextTrial('w', 60_000); lease; lease = await queue.claimNextTrial('w', 60_000)) {
    const o = plan(lease.trial.index);
    if (o === 'complete') await queue.completeTrial(lease, { eval_accuracy: 0.6 + lease.trial.index / 100 });
    else if (o === 'fail') await queue.failTrial(lease, 'Error: out of memory');
    else { await queue.cancelTrial(lease.trialId); await queue.markCancelled(lease); }
  }
}

const resumeButton = () => page.getByRole('button', { name: 'Resume', exact: true });

describe('Resume on the sweep page', () => {
  it('is absent on an active sweep; on a finished one it re-queues the failed and cancelled trials', async () => {
    const { sweep } = await submitSweep(db, 'name: resumable\ntask: spam\ntraining: { maxSteps: 5 }\nmethods: [{ method: lora, space: { r: [2, 4] } }]', { skipResourceCheck: true });
    await page.goto(`${app.url}/sweeps/${sweep.id}`);
    await expect.poll(() => page.getByRole('button', { name: 'Cancel sweep' }).count()).toBe(1);
    expect(await resumeButton().count()).toBe(0);

    await runAll((i) => (['complete', 'fail', 'cancel'] as const)[i]);
    await page.goto(`${app.url}/sweeps/${sweep.id}`);
    await resumeButton().click();
    await expect.poll(() => db.trial.count({ where: { sweepId: sweep.id, status: 'queued' } })).toBe(2);
    await expect.poll(() => resumeButton().count()).toBe(0);
    // the retries are rows of their own, linked to the trials they retry
    await expect.poll(() => page.getByRole('link', { name: 'retry', exact: true }).count()).toBe(2);
    const rows = await db.trial.findMany({ where: { sweepId: sweep.id }, orderBy: { index: 'asc' } });
    expect(rows.map((r) => r.status)).toEqual(['completed', 'failed', 'cancelled', 'queued', 'queued']);
    expect(rows.slice(3).map((r) => r.retryOfId)).toEqual([rows[1].id, rows[2].id]);
    await db.trial.updateMany({ where: { sweepId: sweep.id, status: 'queued' }, data: { status: 'cancelled' } });
  });

  it('an adaptive sweep at its budget: the max-trials field raises it and the sweep runs again', async () => {
    const yaml = 'name: adaptive\ntask: spam\ntraining: { maxSteps: 5, lr: { min: 1.0e-4, max: 1.0e-2, scale: log } }\nmethods: [{ method: lora, space: { r: [2, 4, 8] } }]\nstrategy: { type: tpe, seed: 1, startupTrials: 2 }\nbudget: { maxTrials: 3 }';
    const { sweep } = await submitSweep(db, yaml, { skipResourceCheck: true });
    await runAll(() => 'complete');
    expect((await db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('completed');
    await page.goto(`${app.url}/sweeps/${sweep.id}`);
    const field = page.getByLabel('New budget.maxTrials');
    expect(await field.inputValue()).toBe('5');
    await field.fill('3');
    await resumeButton().click();
    await expect.poll(() => page.locator('.resume [role=alert]').innerText()).toContain('maxTrials: must be greater than the 3 trials');
    await field.fill('4');
    await resumeButton().click();
    await expect.poll(async () => (await db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe('running');
    expect(((await db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).spec as { budget: { maxTrials: number } }).budget.maxTrials).toBe(4);
    expect(pageErrors).toEqual([]);
  });

  it('an external (ask-and-tell) sweep says it is trained elsewhere', async () => {
    const { submitExternalSweep } = await import('@peft-lab/db');
    const { sweep } = await submitExternalSweep(db, 'name: elsewhere\ntask: spam\ntraining: { maxSteps: 5 }\nmethods: [{ method: lora, space: { r: [2, 4, 8] } }]\nstrategy: { type: tpe, seed: 1, startupTrials: 1 }\nbudget: { maxTrials: 2 }');
    await page.goto(`${app.url}/sweeps/${sweep.id}`);
    await expect.poll(() => page.getByLabel('Sweep summary').innerText()).toContain('elsewhere (ask-and-tell)');
    expect(pageErrors).toEqual([]);
  });
});
