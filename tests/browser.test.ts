// The dashboard end to end in Debian's Chromium: the built app (next start) on a
// real embedded PostgreSQL, a sweep created through the form, run by the real
// worker on the tiny gpt2 fixture, watched live, exported, and checked for
// labelled inputs, keyboard use and layout at 1280×800 and 390×844.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweepWithTrials } from '@peft-lab/db';
import type { TestDatabase } from '@peft-lab/db/testing';
import { registerBaseModel, runWorker, silentLogger } from '@peft-lab/worker';
import { REPO_ROOT, startApp, type RunningApp } from './helpers/start-app';
import { openDashboard, type Dashboard } from './helpers/open-dashboard';
import { registerTinyFixtures } from './helpers/worker-fixtures';
import { copyFixture } from './helpers/checkpoint-fixtures';

const OUT = join(REPO_ROOT, 'test-output', 'browser');
mkdirSync(OUT, { recursive: true });

let t: TestDatabase;
let app: RunningApp;
let chromium: Dashboard['chromium'];
let page: Page;
let sweepUrl = '';
let pageErrors: string[];
let dash: Dashboard | undefined;

beforeAll(async () => {
  dash = await openDashboard({ beforeApp: (d) => registerTinyFixtures(d.db) });
  ({ database: t, app, chromium, page, pageErrors } = dash);
}, 900_000);

afterAll(() => dash?.close());

const shot = (name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });

/** Visible form controls without an accessible label (label[for], wrapping label, aria-label/labelledby). */
async function unlabelledControls(p: Page): Promise<string[]> {
  return p.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea'))
    .filter((el) => (el as HTMLInputElement).type !== 'hidden' && (el as HTMLElement).offsetParent !== null)
    .filter((el) => !((el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')))
    .map((el) => el.outerHTML.slice(0, 120)));
}

async function horizontalOverflow(p: Page): Promise<number> {
  return p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

describe('dashboard in Chromium', () => {
  it('shows an invalid form inline, refuses to submit it, and shows the server message for an unknown task', async () => {
    await page.goto(`${app.url}/sweeps/new`);
    await page.getByRole('button', { name: /Quick check/ }).click();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('r', { exact: true }).fill('0');
    await expect.poll(() => page.locator('.error-box').innerText()).toContain('methods[0].space.r: must be an integer ≥ 1 (got 0)');
    expect(await page.getByLabel('r', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('button', { name: 'Create sweep' }).click();
    await expect.poll(() => page.getByTestId('submit-errors').innerText()).toContain('methods[0].space.r');
    await shot('new-sweep-invalid');
    // Valid for the schema, unknown to the server: the API's message comes back.
    await page.getByLabel('r', { exact: true }).fill('2');
    const yaml = await page.getByLabel(/same spec as YAML/).inputValue();
    await page.getByLabel(/same spec as YAML/).fill(yaml.replace(/^task: .*$/m, 'task: no-such-task'));
    await page.getByRole('button', { name: 'Create sweep' }).click();
    await expect.poll(() => page.getByTestId('submit-errors').innerText()).toMatch(/task: unknown task "no-such-task"/);
    expect(page.url()).toContain('/sweeps/new');
  });

  it('edits several entries of one method (e.g. LoRA at two ranks as two labelled entries)', async () => {
    await page.goto(`${app.url}/sweeps/new`);
    await page.getByRole('button', { name: /Quick check/ }).click();
    await page.getByRole('button', { name: 'Add another lora entry' }).click();
    expect(await page.locator('fieldset[data-method="lora"]').count()).toBe(2);
    // The new entry starts as a copy of the first; each is edited on its own.
    await page.locator('#lora-2-r').fill('8');
    await page.locator('#lora-2-label').fill('lora wide');
    await page.locator('#lora-label').fill('lora narrow');
    await expect.poll(() => page.getByTestId('trial-count').innerText()).toMatch(/lora lora narrow: 1, lora lora wide: 1/);
    const yaml = await page.getByLabel(/same spec as YAML/).inputValue();
    expect(yaml).toMatch(/r: 4\s+label: lora narrow[\s\S]*r: 8\s+label: lora wide/);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByRole('button', { name: 'Remove lora entry 2' }).click();
    expect(await page.locator('fieldset[data-method="lora"]').count()).toBe(1);
    expect(await page.getByLabel(/same spec as YAML/).inputValue()).not.toContain('lora wide');
  });

  it('picks TPE in the form: its fields, the budget it needs, the adaptive trial count', async () => {
    await page.goto(`${app.url}/sweeps/new`);
    await page.getByRole('button', { name: /Quick check/ }).click();
    await page.locator('#lora-r').fill('2, 4, 8');
    await page.getByLabel('Strategy').selectOption('tpe');
    await expect.poll(() => page.locator('.error-box').innerText()).toContain('budget.maxTrials: required for strategy tpe');
    await page.getByLabel(/Startup trials/).fill('3');
    await page.getByLabel('Budget: at most this many trials').fill('12');
    await expect.poll(() => page.getByTestId('trial-count').innerText()).toContain('Trials (adaptive, at most): 12');
    // 12 trials are all TPE's initial design (7 per method entry): the form says so, as the API would
    await expect.poll(() => page.getByTestId('spec-notes').innerText()).toMatch(/budget\.maxTrials: 12 trials with \d method entries are all TPE's initial design/);
    const yaml = await page.getByLabel(/same spec as YAML/).inputValue();
    expect(yaml).toMatch(/type: tpe[\s\S]*startupTrials: 3/);
    expect(yaml).toMatch(/maxTrials: 12/);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('Budget: at most this many trials').fill('40');
    await expect.poll(() => page.getByTestId('spec-notes').count()).toBe(0);
  });

  it('creates a sweep through the form (fields and YAML agree, expected trial count shown)', async () => {
    await page.goto(`${app.url}/sweeps/new`);
    await page.getByRole('button', { name: /Quick check/ }).click();
    await page.getByLabel('Name').fill('browser-e2e');
    await page.getByLabel('Base model').selectOption('gpt2-tiny');
    await page.getByLabel('Task').selectOption('tiny-spam');
    await page.getByLabel('maxSteps').fill('6');
    await page.getByLabel('batchSize').fill('4');
    await page.getByLabel('evalEvery').fill('3');
    await page.getByLabel('maxSeqLen').fill('16');
    await page.getByLabel('lr', { exact: true }).fill('0.003');
    // Ticking a method reveals only its own hyperparameters.
    await page.getByLabel('prefix', { exact: true }).check();
    const prefixFields = await page.locator('fieldset[data-method="prefix"] input').evaluateAll((els) => els.map((e) => e.getAttribute('name')));
    expect(prefixFields).toEqual(['prefixLength', 'reparameterize', 'reparamHidden']);
    await page.getByLabel('prefixLength').fill('4');
    await page.getByLabel('reparameterize').fill('false');
    await expect.poll(() => page.getByTestId('trial-count').innerText()).toContain('Expected trials: 3');
    const yaml = await page.getByLabel(/same spec as YAML/).inputValue();
    expect(yaml).toContain('name: browser-e2e');
    expect(yaml).toContain('prefixLength: 4');
    expect(await unlabelledControls(page)).toEqual([]);
    await shot('new-sweep');
    await page.getByRole('button', { name: 'Create sweep' }).click();
    await page.waitForURL(/\/sweeps\/[0-9a-f-]{36}$/, { timeout: 30_000 });
    sweepUrl = page.url();
    await expect.poll(() => page.locator('[data-testid="trial-table"] tbody tr').count()).toBe(3);
  });

  it('watches the real worker finish the trials live (no reload) and the charts draw points', async () => {
    expect(sweepUrl).not.toBe('');
    await page.goto(sweepUrl);
    // A marker on window survives client-side refreshes but not a reload.
    await page.evaluate(() => { (window as unknown as { __sameDocument?: boolean }).__sameDocument = true; });
    const summary = await runWorker({ db: t.db, once: true, log: silentLogger(), progress: 'off', handleSignals: false, pollMs: 200, measureLatency: true });
    expect(summary.outcomes.completed).toBe(3);
    // Live refresh (≤ 2 s): the table turns completed without a navigation.
    await expect.poll(() => page.locator('[data-testid="trial-table"] tbody tr[data-status="completed"]').count(), { timeout: 15_000 }).toBe(3);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await expect.poll(() => page.locator('[data-chart="pareto"]').getAttribute('data-chart-state'), { timeout: 15_000 }).toBe('ready');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-chart]')).every((c) => c.getAttribute('data-chart-state')));
    expect(await page.locator('[data-chart="pareto"] .recharts-scatter-symbol').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('[data-chart="curves"] .recharts-line-curve').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('[data-chart="method-bars"] .recharts-bar-rectangle').count()).toBe(3);
    expect(await page.locator('[data-chart="costs"]').getAttribute('data-chart-state')).toBe('ready');
    expect(await page.getByTestId('backend-note').innerText()).toMatch(new RegExp(`backend: ${summary.backend.name}`));
    // Optimisation history: the best-so-far line, labelled with the strategy; importance: 3 completed trials are too few (11 needed).
    expect(await page.locator('[data-chart="history"] h3').innerText()).toBe('Optimisation history (strategy grid)');
    expect(await page.locator('[data-chart="history"]').getAttribute('data-chart-state')).toBe('ready');
    expect(await page.locator('[data-chart="history"] .recharts-line-curve').count()).toBe(1);
    expect(await page.locator('[data-chart="importance"]').getAttribute('data-chart-state')).toBe('ready');
    expect(await page.getByTestId('importance-message').innerText()).toBe('not enough trials: needs 11 completed, has 3.');
    // Every chart says what its axes are.
    for (const id of ['pareto', 'curves', 'method-bars', 'costs', 'history']) {
      expect(await page.locator(`[data-chart="${id}"] .recharts-label`).count(), id).toBeGreaterThanOrEqual(2);
    }
    await page.waitForTimeout(300);
    await shot('sweep-1280');
  }, 600_000);

  it('sorts and filters the trial table through the URL', async () => {
    await page.goto(`${sweepUrl}?sort=method&dir=desc`);
    const methods = await page.locator('[data-testid="trial-table"] tbody tr td:nth-child(4)').allTextContents();
    expect(methods).toEqual(['Prefix', 'LoRA', 'Full FT']);
    await page.getByLabel('Method', { exact: true }).selectOption('lora');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('[data-testid="trial-table"] tbody tr').count()).toBe(1);
    expect(page.url()).toContain('method=lora');
  });

  it('opens a trial: configuration, measurements, curves, artifacts', async () => {
    await page.goto(sweepUrl);
    await page.locator('[data-testid="trial-table"] tbody tr', { hasText: 'LoRA' }).getByRole('link').first().click();
    await page.waitForURL(/\/trials\//);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toContain('LoRA');
    expect(await page.getByTestId('measurements').innerText()).toMatch(/Trainable parameters\s*[\d.]+ ?[kM]? of/);
    expect(await page.getByTestId('summary').innerText()).toContain('eval_accuracy');
    await expect.poll(() => page.locator('[data-chart="trial-curves"]').getAttribute('data-chart-state')).toBe('ready');
    const adapter = page.getByRole('link', { name: /Adapter \(PEFT format\)/ });
    if (await adapter.count()) {
      const [download] = await Promise.all([page.waitForEvent('download'), adapter.first().click()]);
      expect(readFileSync(await download.path()).length).toBeGreaterThan(0);
    }
    await shot('trial-1280');
  });

  it('downloads the CSV export and it parses', async () => {
    await page.goto(sweepUrl);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV', exact: true }).click()]);
    const text = readFileSync(await download.path(), 'utf8');
    const rows = parseCsv(text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.method).sort()).toEqual(['full', 'lora', 'prefix']);
    expect(rows.every((r) => r.status === 'completed')).toBe(true);
  });

  it('lists sweeps with progress and best per method, searchable, usable from the keyboard', async () => {
    await page.goto(app.url);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody tr').innerText()).toMatch(/browser-e2e[\s\S]*completed[\s\S]*3\/3 done/);
    expect(await unlabelledControls(page)).toEqual([]);
    await shot('sweeps-1280');
    // Keyboard: the first Tab reaches the skip link; tabbing on reaches the sweep's link; Enter opens it.
    // (After hydration: a client component mounting mid-way can move focus back to the body.)
    await page.waitForLoadState('networkidle');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const focusPath: string[] = [];
    for (let i = 0; i < 40 && focusPath[focusPath.length - 1] !== 'browser-e2e'; i++) {
      await page.keyboard.press('Tab');
      focusPath.push(await page.evaluate(() => {
        const el = document.activeElement;
        return el ? (el.textContent?.trim() || el.getAttribute('aria-label') || el.tagName) : 'none';
      }));
    }
    // On failure the path shows where focus went instead.
    expect(focusPath).toContain('browser-e2e');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/sweeps\/[0-9a-f-]{36}/);
    await page.goto(`${app.url}/?q=nothing-like-this`);
    expect(await page.locator('.chart-empty').innerText()).toContain('No sweep name contains');
  });

  it('compares methods across sweeps and trials side by side', async () => {
    const id = sweepUrl.split('/').pop()!;
    await page.goto(`${app.url}/compare?sweep=${id}`);
    await expect.poll(() => page.locator('[data-chart="compare-bars"]').getAttribute('data-chart-state')).toBe('ready');
    expect(await page.locator('table').first().innerText()).toMatch(/LoRA/);
    await expect.poll(() => page.locator('[data-chart="compare-history"]').getAttribute('data-chart-state')).toBe('ready');
    expect(await page.locator('[data-chart="compare-history"] .recharts-legend-item-text').innerText()).toBe('browser-e2e (grid)');
    await shot('compare-1280');
    await page.goto(sweepUrl);
    const boxes = page.getByRole('checkbox', { name: /Compare trial/ });
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByRole('button', { name: 'Compare selected trials' }).click();
    await page.waitForURL(/\/compare\?trial=/);
    // A client-side navigation: the URL changes before the new page has rendered.
    await expect.poll(() => page.getByRole('heading', { name: 'Trials side by side' }).count(), { timeout: 15_000 }).toBe(1);
  });

  it('holds its layout at a narrow width (390×844): no page-wide horizontal scroll', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, url] of [['sweeps', app.url], ['new-sweep', `${app.url}/sweeps/new`], ['sweep', sweepUrl], ['compare', `${app.url}/compare`]] as const) {
      await page.goto(url);
      if (name === 'sweep') await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-chart]')).every((c) => c.getAttribute('data-chart-state')));
      expect(await horizontalOverflow(page), name).toBeLessThanOrEqual(1);
      await shot(`${name}-narrow`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(pageErrors).toEqual([]);
  });

  it('lists a registered model with its family and size in the base-model picker; a sweep on it is submitted and runs', async () => {
    // Registered as `peft-lab model add` does (registerBaseModel): checked, with its parameter count recorded.
    const scratch = mkdtempSync(join(tmpdir(), 'peft-lab-browser-model-'));
    try {
      const modelDir = copyFixture('llama-tiny', join(scratch, 'llama-browser'));
      await registerBaseModel(t.db, { dir: modelDir });
      await page.goto(`${app.url}/sweeps/new`);
      await page.getByRole('button', { name: /Quick check/ }).click();
      expect(await page.locator('#sweep-base-model option[value="llama-browser"]').innerText()).toBe('llama-browser (llama, 0.12 M parameters)');
      await page.getByLabel('Name').fill('browser-registered');
      await page.getByLabel('Base model').selectOption('llama-browser');
      await page.getByLabel('Task').selectOption('tiny-spam');
      await page.getByLabel('maxSteps').fill('4');
      await page.getByLabel('batchSize').fill('4');
      await page.getByLabel('evalEvery').fill('2');
      await page.getByLabel('maxSeqLen').fill('16');
      await page.getByLabel('lr', { exact: true }).fill('0.003');
      await expect.poll(() => page.getByTestId('trial-count').innerText()).toContain('Expected trials: 2');
      expect(await page.getByLabel(/same spec as YAML/).inputValue()).toContain('baseModel: llama-browser');
      await shot('new-sweep-registered-model');
      await page.getByRole('button', { name: 'Create sweep' }).click();
      await page.waitForURL(/\/sweeps\/[0-9a-f-]{36}$/, { timeout: 30_000 });
      const id = page.url().split('/').pop()!;
      const sweep = await t.db.sweep.findUniqueOrThrow({ where: { id }, include: { baseModel: true } });
      expect(sweep.baseModel).toMatchObject({ name: 'llama-browser', family: 'llama', location: modelDir });
      const summary = await runWorker({ db: t.db, once: true, log: silentLogger(), progress: 'off', handleSignals: false, pollMs: 200, measureLatency: false });
      expect(summary.outcomes.completed).toBe(2);
      await expect.poll(() => page.locator('[data-testid="trial-table"] tbody tr[data-status="completed"]').count(), { timeout: 15_000 }).toBe(2);
      expect(await page.locator('main').innerText()).toMatch(/Base model\s*llama-browser/);
      await shot('sweep-registered-model');
      expect(pageErrors).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 300_000);

  it('draws importance bars per method and a two-objective front for a sweep with enough trials', async () => {
    // 24 stored trials (no worker: the charts read rows): accuracy rises with LoRA's r; prefix trials trail.
    const spec = { name: 'browser-analysis', strategy: { type: 'random', count: 12, seed: 0 },
      objectives: [{ metric: 'accuracy', direction: 'maximize' }, { metric: 'trainable_params', direction: 'minimize' }] };
    const rows = Array.from({ length: 24 }, (_, i) => i < 16
      ? { method: 'lora', hyperparameters: { r: 2 ** (i % 4), dropout: [0, 0.1][i % 2], training: { lr: [1e-3, 3e-3][(i >> 1) % 2] } }, seed: 0 }
      : { method: 'prefix', hyperparameters: { prefixLength: [4, 8][i % 2], training: { lr: [1e-3, 3e-3][(i >> 1) % 2] } }, seed: 0 });
    const { sweep, trialIds } = await createSweepWithTrials(t.db, { name: 'browser-analysis', spec, task: 'tiny-spam' }, rows);
    for (const [i, id] of trialIds.entries()) {
      const r = rows[i].hyperparameters as { r?: number; prefixLength?: number };
      const accuracy = r.r !== undefined ? 0.6 + 0.05 * Math.log2(r.r) + (i % 3) / 1000 : 0.55 + (i % 3) / 1000;
      const trainableParams = r.r !== undefined ? 1000 * r.r : 500 * r.prefixLength!;
      await t.db.trial.update({ where: { id }, data: { status: 'completed', summary: { eval_accuracy: accuracy }, measurements: { trainableParams }, finishedAt: new Date() } });
    }
    await t.db.sweep.update({ where: { id: sweep.id }, data: { status: 'completed', finishedAt: new Date() } });
    await page.goto(`${app.url}/sweeps/${sweep.id}`);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-chart]')).every((c) => c.getAttribute('data-chart-state')));
    const importance = page.locator('[data-chart="importance"]');
    expect(await importance.getAttribute('data-chart-state')).toBe('ready');
    // over all methods: method, lora.r, lora.dropout, prefix.prefixLength, lr; the planted lora.r among them
    expect(await importance.locator('.recharts-bar-rectangle').count()).toBeGreaterThanOrEqual(3);
    expect(await importance.locator('.recharts-cartesian-axis-tick-value').allTextContents()).toContain('lora.r');
    await importance.getByLabel('Importance over').selectOption('lora');
    await expect.poll(() => importance.locator('.recharts-cartesian-axis-tick-value').allTextContents()).toEqual(expect.arrayContaining(['lora.r', 'lora.dropout', 'lr']));
    // 8 prefix trials are too few on their own
    await importance.getByLabel('Importance over').selectOption('prefix');
    expect(await page.getByTestId('importance-message').innerText()).toBe('not enough trials: needs 11 completed, has 8.');
    // two objectives: accuracy against trainable_params, the front marked
    const pareto = page.locator('[data-chart="pareto"]');
    expect(await pareto.locator('h3').innerText()).toBe('accuracy vs trainable_params (first two objectives)');
    expect(await pareto.locator('.recharts-scatter-symbol').count()).toBeGreaterThanOrEqual(24);
    expect(await pareto.locator('.recharts-scatter-line').count()).toBe(1);
    expect(await page.locator('[data-chart="history"] h3').innerText()).toBe('Optimisation history (strategy random)');
    await shot('sweep-analysis');
    expect(pageErrors).toEqual([]);
  }, 120_000);
});

describe('dashboard with PEFT_LAB_TOKEN set', () => {
  let locked: RunningApp;
  beforeAll(async () => {
    locked = await startApp({ databaseUrl: t.url, env: { PEFT_LAB_TOKEN: 'lab-token-42' } });
  }, 120_000);
  afterAll(async () => {
    await locked?.stop();
  });

  it('asks for the token once, then creates the sweep and can cancel it from the same browser', async () => {
    const p = await chromium.context.newPage();
    try {
      await p.goto(`${locked.url}/sweeps/new`);
      await p.getByRole('button', { name: /Quick check/ }).click();
      await p.getByLabel('Name').fill('token-e2e');
      await p.getByRole('button', { name: 'Create sweep' }).click();
      await expect.poll(() => p.getByTestId('submit-errors').innerText()).toMatch(/unlock the dashboard/);
      expect(await unlabelledControls(p)).toEqual([]);
      const tokenField = p.getByLabel('Token', { exact: true });
      await tokenField.fill('not-the-token');
      await tokenField.press('Enter');
      await expect.poll(() => p.getByTestId('session-unlock').innerText()).toContain('token: does not match PEFT_LAB_TOKEN');
      expect(p.url()).toContain('/sweeps/new');

      await tokenField.fill('lab-token-42');
      await p.getByRole('button', { name: 'Unlock' }).click();
      await p.waitForURL(/\/sweeps\/[0-9a-f-]{36}$/);
      await expect.poll(() => p.getByRole('heading', { level: 1 }).innerText()).toContain('token-e2e');
      // The session cookie now carries every change this browser makes.
      const id = p.url().split('/').pop()!;
      const cancel = await p.evaluate(async (u) => (await fetch(u, { method: 'POST' })).status, `/api/sweeps/${id}/cancel`);
      expect(cancel).toBe(200);
      // …and only this browser: a bare request is still refused.
      expect((await fetch(`${locked.url}/api/sweeps/${id}/cancel`, { method: 'POST' })).status).toBe(401);
    } finally {
      await p.close();
    }
  });
});
