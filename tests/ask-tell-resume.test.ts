// Ask-and-tell and resume as users reach them: the HTTP routes (handlers called directly) and
// the `peft-lab sweep create --external / ask / tell / resume` commands, on a real PostgreSQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDb, submitSweep, TrialQueue, type Db } from '@peft-lab/db';
import { createTestDatabase, type TestDatabase } from '@peft-lab/db/testing';
import * as askRoute from '../app/app/api/sweeps/[id]/ask/route';
import * as resumeRoute from '../app/app/api/sweeps/[id]/resume/route';
import * as tellRoute from '../app/app/api/sweeps/[id]/trials/[trialId]/tell/route';
import * as sweepsRoute from '../app/app/api/sweeps/route';
import { callJson, type Handler } from './api-helpers';
import { runCli } from './helpers/run-cli';

let t: TestDatabase;
let db: Db;
let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  delete process.env.PEFT_LAB_TOKEN;
  db = t.db;
  dir = mkdtempSync(join(tmpdir(), 'peft-lab-ask-'));
  env = { DATABASE_URL: t.url };
}, 120_000);
afterAll(async () => {
  await connectDb().$disconnect().catch(() => {});
  await t?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const H = (h: unknown) => h as Handler;
const tpe = (maxTrials: number, startupTrials = 2) => `
name: elsewhere
task: spam
training: { maxSteps: 5, lr: { min: 1.0e-4, max: 1.0e-1, scale: log } }
methods: [{ method: lora, space: { r: [2, 4, 8, 16] } }, { method: prompt }]
strategy: { type: tpe, seed: 5, startupTrials: ${startupTrials} }
budget: { maxTrials: ${maxTrials} }
`;
const ask = (id: string, body?: unknown) => callJson(H(askRoute.POST), 'POST', `/api/sweeps/${id}/ask`, { params: { id }, body });
const tell = (id: string, trialId: string, body: unknown) => callJson(H(tellRoute.POST), 'POST', `/api/sweeps/${id}/trials/${trialId}/tell`, { params: { id, trialId }, body });
const resume = (id: string, body?: unknown) => callJson(H(resumeRoute.POST), 'POST', `/api/sweeps/${id}/resume`, { params: { id }, body });

describe('ask-and-tell and resume over HTTP', () => {
  it('POST ?external=true, then ask → tell to maxTrials; ask after the budget is a 409; resume raises it', async () => {
    const created = await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps?external=true', { body: { yaml: tpe(5) } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ trials: 0, external: true });
    const id = created.body.id as string;
    for (let i = 0; i < 5; i++) {
      const a = await ask(id);
      expect(a.status).toBe(201);
      expect(a.body).toMatchObject({ sweepId: id, index: i, seed: expect.any(Number), training: { lr: expect.any(Number) } });
      const r = await tell(id, a.body.trialId, { value: 0.5 + i / 10 });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'completed', values: [0.5 + i / 10] });
    }
    const spent = await ask(id);
    expect(spent.status).toBe(409);
    expect(spent.body.issues[0]).toMatch(/^sweep: sweep .* is completed: its budget.maxTrials 5 is spent/);
    const raised = await resume(id, { maxTrials: 6 });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ status: 'running', requeued: [], maxTrials: { from: 5, to: 6 } });
    expect((await ask(id)).body.index).toBe(5);
  });

  it('bad tells and asks: 400 value: must be a number, 404 unknown trial, 409 told twice; nothing stored', async () => {
    const id = (await callJson(H(sweepsRoute.POST), 'POST', '/api/sweeps?external=true', { body: { yaml: tpe(3) } })).body.id as string;
    const a = (await ask(id)).body;
    const bad = await tell(id, a.trialId, { value: 'abc' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual(['value: must be a number (got "abc")']);
    expect((await tell(id, a.trialId, { value: 1, colour: 'red' })).body.issues).toEqual(['colour: not a field of a tell (allowed: value, values, failed, pruned, reason)']);
    expect((await tell(id, 'no-such-trial', { value: 0.5 })).status).toBe(404);
    expect((await db.trial.findUniqueOrThrow({ where: { id: a.trialId } })).status).toBe('running');
    expect((await tell(id, a.trialId, { value: 0.8 })).status).toBe(200);
    const twice = await tell(id, a.trialId, { value: 0.1 });
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatch(/is already completed/);
    expect((await db.trial.findUniqueOrThrow({ where: { id: a.trialId } })).summary).toEqual({ eval_accuracy: 0.8 });
    expect((await ask(id, { leaseMs: -1 })).body.issues[0]).toMatch(/^leaseMs: must be an integer/);
    expect((await ask('no-such-sweep')).status).toBe(404);
  });

  it('resume: 404 unknown, 409 still running, 400 bad maxTrials; a finished sweep re-queues its failed and cancelled trials', async () => {
    expect((await resume('no-such-sweep')).status).toBe(404);
    const { sweep } = await submitSweep(db, 'name: g\ntask: spam\ntraining: { maxSteps: 5 }\nmethods: [{ method: lora, space: { r: [2, 4] } }]', { skipResourceCheck: true });
    const running = await resume(sweep.id);
    expect(running.status).toBe(409);
    expect(running.body.issues[0]).toMatch(/^status: sweep .* is queued; only a completed, failed or cancelled sweep can be resumed/);
    const queue = new TrialQueue(db);
    const outcomes = ['complete', 'fail', 'cancel'];
    for (let lease = await queue.claimNextTrial('w', 60_000); lease; lease = await queue.claimNextTrial('w', 60_000)) {
      const o = outcomes[lease.trial.index];
      if (o === 'complete') await queue.completeTrial(lease, { eval_accuracy: 0.9 });
      else if (o === 'fail') await queue.failTrial(lease, 'boom');
      else { await queue.cancelTrial(lease.trialId); await queue.markCancelled(lease); }
    }
    const bad = await resume(sweep.id, { maxTrials: 'many' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual(['maxTrials: must be a positive integer (got "many")']);
    expect((await resume(sweep.id, { maxTrials: 10 })).body.issues[0]).toMatch(/^maxTrials: only an adaptive sweep/);
    const ok = await resume(sweep.id);
    expect(ok.status).toBe(200);
    expect(ok.body.requeued.map((r: { retryOfIndex: number; index: number }) => [r.retryOfIndex, r.index])).toEqual([[1, 3], [2, 4]]);
    expect(await db.trial.count({ where: { sweepId: sweep.id, status: 'queued' } })).toBe(2);
    const status = await runCli(['sweep', 'status', sweep.id], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^3 \(retry of #1\)\s+lora\s+queued/m);
    expect(status.stdout).toMatch(/^4 \(retry of #2\)\s+lora\s+queued/m);
    await db.trial.updateMany({ where: { sweepId: sweep.id, status: 'queued' }, data: { status: 'cancelled' } });
  });
});

describe('peft-lab sweep create --external / ask / tell / resume', () => {
  it('drives an external sweep from the command line; bad input is one field: rule line', async () => {
    const file = join(dir, 'tpe.yaml');
    writeFileSync(file, tpe(2, 1));
    const created = await runCli(['sweep', 'create', '--external', file], env);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    for (let i = 0; i < 2; i++) {
      const a = await runCli(['sweep', 'ask', id], env);
      expect(a.code, a.stderr).toBe(0);
      const trial = JSON.parse(a.stdout);
      expect(trial).toMatchObject({ sweepId: id, index: i, method: expect.any(String), hyperparameters: expect.any(Object), training: expect.any(Object), seed: expect.any(Number) });
      if (i === 0) {
        const bad = await runCli(['sweep', 'tell', id, trial.trialId, '--value', 'abc'], env);
        expect(bad.code).toBe(2);
        expect(bad.stderr.trim()).toBe('peft-lab: value: must be a number (got "abc")');
      }
      const told = await runCli(['sweep', 'tell', id, trial.trialId, '--value', String(0.7 + i / 10)], env);
      expect(told.code, told.stderr).toBe(0);
      expect(told.stdout).toMatch(new RegExp(`^trial #${i} \\(${trial.trialId}\\) completed: ${0.7 + i / 10}; sweep (running|completed)`));
    }
    const spent = await runCli(['sweep', 'ask', id], env);
    expect(spent.code).toBe(2);
    expect(spent.stderr).toMatch(/^peft-lab: sweep: sweep .* is completed: its budget.maxTrials 2 is spent/);
    const low = await runCli(['sweep', 'resume', id, '--max-trials', '2'], env);
    expect(low.code).toBe(2);
    expect(low.stderr.trim()).toBe(`peft-lab: maxTrials: must be greater than the 2 trials sweep ${id} has (got 2)`);
    const r = await runCli(['sweep', 'resume', id, '--max-trials', '3'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`sweep ${id} resumed (running): 0 trials re-queued; budget.maxTrials 2 → 3`);
    const unknown = await runCli(['sweep', 'resume', '00000000-0000-4000-8000-000000000000'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/sweep "00000000-0000-4000-8000-000000000000" not found/);
  });
});
