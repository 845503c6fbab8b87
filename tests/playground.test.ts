// The sweep playground in Debian's Chromium: a sweep trained by the real worker on the gpt2-tiny
// fixture (embedded PostgreSQL), the built app starting `peft-lab serve --sweep` on demand, a text
// through the base model and two trials' adapters side by side; an over-long text shows the
// server's 413 message; the token; the server stops with the dashboard (SIGTERM or SIGKILL).
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitSweep } from '@peft-lab/db';
import type { TestDatabase } from '@peft-lab/db/testing';
import { runWorker, silentLogger } from '@peft-lab/worker';
import { freePort, REPO_ROOT, startApp, type RunningApp } from './helpers/start-app';
import { openDashboard, type Dashboard } from './helpers/open-dashboard';
import { registerTinyFixtures, tinySpec } from './helpers/worker-fixtures';

let t: TestDatabase;
let app: RunningApp;
let chromium: Dashboard['chromium'];
let page: Page;
let sweepId: string;
let pageErrors: string[];
let dash: Dashboard | undefined;

beforeAll(async () => {
  dash = await openDashboard({
    viewport: { width: 1280, height: 900 },
    beforeApp: async ({ db }) => {
      await registerTinyFixtures(db);
      const { sweep } = await submitSweep(db, tinySpec('playground', [{ method: 'lora', space: { r: 2 } }, { method: 'prefix', space: { prefixLength: 4, reparameterize: false } }]));
      sweepId = sweep.id;
      const summary = await runWorker({ db, once: true, log: silentLogger(), leaseMs: 3_000, progress: 'off', handleSignals: false, pollMs: 200 });
      expect(summary.outcomes.completed).toBe(3);
    },
  });
  ({ database: t, app, chromium, page, pageErrors } = dash);
}, 900_000);

afterAll(() => dash?.close());

const column = (name: string) => page.locator(`section[aria-label=Predictions] article[data-adapter="${name}"]`);
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('sweep playground', () => {
  it('from the sweep page: the best trial of each method chosen, a text through the base model and both adapters, with probabilities and latencies', async () => {
    await page.goto(`${app.url}/sweeps/${sweepId}`);
    await page.getByRole('link', { name: /Playground/ }).click();
    await page.waitForURL(`**/sweeps/${sweepId}/playground`);
    // Full fine-tuning stored a model, not an adapter: not offered. LoRA and prefix, each its method's best, checked.
    const boxes = page.getByRole('checkbox');
    expect(await boxes.count()).toBe(2);
    expect(await Promise.all([0, 1].map((i) => boxes.nth(i).isChecked()))).toEqual([true, true]);

    await page.getByLabel('Text').fill('win cash prize free offer');
    await page.getByRole('button', { name: 'Predict' }).click();
    // The first run starts the server (tsx, the model, the sweep's adapters from PostgreSQL).
    await column('prefix-2').waitFor({ timeout: 180_000 });
    expect(await page.locator('section[aria-label=Predictions] article').evaluateAll((els) => els.map((e) => e.getAttribute('data-adapter')))).toEqual(['base', 'lora-1', 'prefix-2']);
    expect(await page.getByText('(started by the dashboard)').count()).toBe(1);

    for (const name of ['base', 'lora-1', 'prefix-2']) {
      expect(await column(name).getByTestId('latency').innerText()).toMatch(/^\d+\.\d ms$/);
      expect(await column(name).locator('[role=alert]').count()).toBe(0);
    }
    // The adapters: a label of the task and one bar per label, the probabilities summing to 1.
    for (const name of ['lora-1', 'prefix-2']) {
      const c = column(name);
      expect(['ham', 'spam']).toContain(await c.getByTestId('predicted-label').innerText());
      expect((await c.locator('.playground-prob-label').allInnerTexts()).sort()).toEqual(['ham', 'spam']);
      const pct = (await c.locator('.playground-prob-value').allInnerTexts()).map((s) => Number(s.replace('%', '')));
      expect(Math.abs(pct[0] + pct[1] - 100)).toBeLessThan(0.2);
      expect(pct[0]).toBeGreaterThanOrEqual(pct[1]);
    }
    // The base model: the causal LM's greedy continuation and its next-token top 5.
    expect(await column('base').getByTestId('continuation').count()).toBe(1);
    expect(await column('base').locator('.playground-prob').count()).toBe(5);
    await page.screenshot({ path: join(REPO_ROOT, 'test-output', 'playground.png'), fullPage: true });
  }, 300_000);

  it('an over-long text: every column shows the server\'s 413 message, the same text serve answers itself; the server stays up', async () => {
    const long = Array.from({ length: 300 }, (_, i) => (i % 2 ? 'cash' : 'win')).join(' ');
    await page.getByLabel('Text').fill(long);
    await page.getByRole('button', { name: 'Predict' }).click();
    await expect.poll(() => column('lora-1').locator('[role=alert]').count(), { timeout: 60_000 }).toBe(1);
    const { server } = await (await fetch(`${app.url}/api/sweeps/${sweepId}/playground`)).json() as { server: { url: string; pid: number } };
    const direct = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: JSON.stringify({ adapter: 'lora-1', texts: [long] }) });
    expect(direct.status).toBe(413);
    const message = (await direct.json()).error.message as string;
    expect(message).toMatch(/^texts\[0\]: \d+ tokens, the limit for this adapter on this model is \d+/);
    expect(await column('lora-1').locator('[role=alert]').innerText()).toBe(`413: ${message}`);
    for (const name of ['base', 'prefix-2']) expect(await column(name).locator('[role=alert]').innerText()).toMatch(/^413: texts\[0\]: \d+ tokens, the limit/);

    await page.getByLabel('Text').fill('team meeting notes');
    await page.getByRole('button', { name: 'Predict' }).click();
    await expect.poll(() => page.locator('section[aria-label=Predictions] [role=alert]').count(), { timeout: 60_000 }).toBe(0);
    expect(await column('lora-1').getByTestId('predicted-label').count()).toBe(1);
  }, 120_000);

  it('a trial unticked and another server given by URL: only the chosen columns, served by that URL; an unreachable URL is a 502 naming it', async () => {
    const { server } = await (await fetch(`${app.url}/api/sweeps/${sweepId}/playground`)).json() as { server: { url: string } };
    await page.getByRole('checkbox').nth(1).uncheck();
    await page.getByText('Server', { exact: true }).click();
    await page.getByLabel('Serve URL').fill(server.url);
    await page.getByRole('button', { name: 'Predict' }).click();
    await expect.poll(() => page.locator('section[aria-label=Predictions] article').count(), { timeout: 60_000 }).toBe(2);
    await expect.poll(() => page.getByText(`Served by ${server.url}.`, { exact: true }).count()).toBe(1);

    const dead = `http://127.0.0.1:${await freePort()}`;
    await page.getByLabel('Serve URL').fill(dead);
    await page.getByRole('button', { name: 'Predict' }).click();
    await expect.poll(() => page.locator('form [role=alert]').innerText().catch(() => '')).toContain(`serve: could not reach ${dead} (ECONNREFUSED)`);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('the route refuses a bad body (400), a trial without an adapter (400) and an unknown sweep (404) before reaching a server', async () => {
    const post = (id: string, body: unknown) => fetch(`${app.url}/api/sweeps/${id}/playground`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const full = await t.db.trial.findFirstOrThrow({ where: { sweepId, method: 'full' }, select: { id: true } });
    const answers = await Promise.all([
      post(sweepId, { trialIds: [] }),
      post(sweepId, { text: 'x', serveUrl: 'file:///etc/passwd' }),
      post(sweepId, { text: 'x', trialIds: [full.id] }),
      post('00000000-0000-4000-8000-000000000000', { text: 'x' }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([400, 400, 400, 404]);
    const [noText, badUrl, noAdapter] = await Promise.all(answers.slice(0, 3).map(async (r) => (await r.json()).error as string));
    expect(noText).toMatch(/text: /);
    expect(badUrl).toMatch(/serveUrl: must be an http\(s\) URL/);
    expect(noAdapter).toMatch(/stored no adapter \(method full/);
  });

  it('with PEFT_LAB_TOKEN: the page asks for it once, the started server requires it and the route sends it; killing that dashboard (SIGKILL) stops its server', async () => {
    const secured = await startApp({ databaseUrl: t.url, env: { PEFT_LAB_TOKEN: 'playground-secret' } });
    const p = await chromium.context.newPage();
    try {
      await p.goto(`${secured.url}/sweeps/${sweepId}/playground`);
      await p.getByLabel('Text').fill('free money offer');
      await p.getByRole('button', { name: 'Predict' }).click();
      await p.getByTestId('session-unlock').waitFor();
      await p.locator('#session-token').fill('playground-secret');
      await p.getByRole('button', { name: 'Unlock' }).click();
      await p.locator('article[data-adapter="prefix-2"] [data-testid=latency]').waitFor({ timeout: 180_000 });
      expect(await p.locator('section[aria-label=Predictions] [role=alert]').count()).toBe(0);
      const { server } = await (await fetch(`${secured.url}/api/sweeps/${sweepId}/playground`)).json() as { server: { url: string; pid: number } };
      const bare = await fetch(`${server.url}/v1/adapters`);
      expect(bare.status).toBe(401);
      // A dashboard killed outright runs no exit hook: the server notices its stdin close and stops.
      secured.process.kill('SIGKILL');
      await expect.poll(() => alive(server.pid), { timeout: 20_000 }).toBe(false);
    } finally {
      await p.close();
      await secured.stop();
    }
  }, 300_000);

  it('the dashboard stopping stops the server it started', async () => {
    const { server } = await (await fetch(`${app.url}/api/sweeps/${sweepId}/playground`)).json() as { server: { pid: number } };
    expect(alive(server.pid)).toBe(true);
    await app.stop();
    await expect.poll(() => alive(server.pid), { timeout: 20_000 }).toBe(false);
  }, 60_000);
});
