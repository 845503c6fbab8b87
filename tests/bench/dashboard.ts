// bench:dashboard — a 10,000-trial sweep with 1,000,000 metric points in a
// throwaway embedded PostgreSQL; the built app against it; measures
//   pageMs:   the sweep page's full HTML response (server queries + render, streamed charts included)
//   chartsMs: navigation start → every chart drawn (data-chart-state set) in Chromium
// Targets: pageMs ≤ 2000, chartsMs ≤ 3000.  Usage: npm run bench:dashboard -- [--json] [--trials N] [--points N]
import { getPool } from '@peft-lab/db';
import { createTestDatabase } from '@peft-lab/db/testing';
import { ensureAppBuilt, launchChromium, startApp } from '../helpers/start-app';
import { seedLargeSweep } from './seed-large-sweep';

const args = process.argv.slice(2);
const json = args.includes('--json');
const arg = (name: string, dflt: number) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const log = (s: string) => { if (!json) console.log(s); else process.stderr.write(`${s}\n`); };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

let passed = false;

async function main() {
  const trials = arg('--trials', 10_000);
  const pointsPerTrial = Math.round(arg('--points', 1_000_000) / trials);
  ensureAppBuilt(log);
  // A throwaway server: durability off makes the bulk seed several times faster.
  const t = await createTestDatabase({ settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_wal_size: '4GB', maintenance_work_mem: '256MB' } });
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    log(`seeding ${trials} trials × ${pointsPerTrial} points…`);
    const seeded = await seedLargeSweep(getPool(t.db), { trials, pointsPerTrial });
    log(`seeded in ${seeded.ms} ms`);
    app = await startApp({ databaseUrl: t.url });
    const url = `${app.url}/sweeps/${seeded.sweepId}`;
    // Warm the server process on another page; then the sweep page's first request is
    // cold for the sweep itself (its chart aggregates not yet cached).
    await (await fetch(`${app.url}/`)).text();
    const c0 = performance.now();
    await (await fetch(url)).text();
    const coldMs = Math.round(performance.now() - c0);
    const pageMs: number[] = [];
    const ttfbMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const res = await fetch(url);
      ttfbMs.push(performance.now() - t0);
      const html = await res.text();
      pageMs.push(performance.now() - t0);
      if (!res.ok || !html.includes('data-chart="pareto"')) throw new Error(`sweep page: HTTP ${res.status} without the charts`);
    }
    chromium = await launchChromium({ width: 1280, height: 800 });
    const page = await chromium.context.newPage();
    const chartsMs: number[] = [];
    const states: string[][] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(url, { waitUntil: 'commit' });
      await page.waitForFunction(() => {
        const charts = Array.from(document.querySelectorAll('[data-chart]'));
        return charts.length >= 6 && charts.every((c) => c.getAttribute('data-chart-state'));
      }, undefined, { timeout: 30_000, polling: 'raf' });
      chartsMs.push(await page.evaluate(() => performance.now()));
      states.push(await page.evaluate(() => Array.from(document.querySelectorAll('[data-chart]')).map((c) => `${c.getAttribute('data-chart')}:${c.getAttribute('data-chart-state')}`)));
    }
    const svgMarks = await page.evaluate(() => document.querySelectorAll('svg .recharts-scatter-symbol, svg .recharts-line-curve, svg .recharts-bar-rectangle, svg polyline').length);
    const result = {
      bench: 'dashboard',
      trials: seeded.trials,
      metricPoints: seeded.metricPoints,
      seedMs: seeded.ms,
      page: { coldMs, medianMs: Math.round(median(pageMs)), maxMs: Math.round(Math.max(...pageMs)), ttfbMedianMs: Math.round(median(ttfbMs)), targetMs: 2000 },
      charts: { runsMs: chartsMs.map(Math.round), medianMs: Math.round(median(chartsMs)), maxMs: Math.round(Math.max(...chartsMs)), targetMs: 3000, states: states[states.length - 1], svgMarks },
      loadAverage: (await import('node:os')).loadavg().map((x) => Math.round(x * 10) / 10),
      pass: coldMs <= 2000 && median(pageMs) <= 2000 && median(chartsMs) <= 3000,
    };
    if (json) console.log(JSON.stringify(result));
    else console.log(JSON.stringify(result, null, 2));
    passed = result.pass;
  } finally {
    await chromium?.close();
    await app?.stop();
    await t.cleanup();
  }
}

// Exit explicitly: a stopped embedded server's handlers must not decide the exit code.
main().then(() => process.exit(passed ? 0 : 1), (err) => { console.error(err); process.exit(1); });
