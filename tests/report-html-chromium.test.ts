/**
 * The HTML report opened in real Chromium with every network request refused:
 * the page must render every chart from inline SVG alone, and must not even
 * try to fetch anything. Also prints it to PDF through `renderPdf`.
 * Needs Debian's chromium (`apt-get install chromium`); skipped without it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS, renderPdf, renderReport } from '@peft-lab/report';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'test-output');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const fixture = (name: string) => JSON.parse(readFileSync(join(root, 'packages/report/test-fixtures', `${name}.json`), 'utf8'));

describe.skipIf(!existsSync(CHROMIUM))('HTML report in Chromium, offline', () => {
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'report-chromium-'));
    mkdirSync(outDir, { recursive: true });
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, offline: true });
  });

  afterAll(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  async function open(html: string) {
    const page = await context.newPage();
    const attempted: string[] = [];
    page.on('request', (r) => attempted.push(r.url()));
    await page.route('**/*', (route) => {
      attempted.push(route.request().url());
      return route.abort();
    });
    await page.setContent(html, { waitUntil: 'load' });
    return { page, attempted };
  }

  it('renders every chart with drawn marks and requests nothing', async () => {
    const { page, attempted } = await open(renderReport(fixture('sweep'), 'html'));
    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => {
        const marks = Array.from(svg.querySelectorAll('.mark')) as SVGGraphicsElement[];
        const drawn = marks.filter((m) => {
          const b = m.getBBox();
          return b.width > 0 || b.height > 0;
        });
        const box = svg.getBoundingClientRect();
        return { id: svg.getAttribute('data-chart'), marks: marks.length, drawn: drawn.length, width: box.width, height: box.height };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual(['pareto', 'learning-curve-eval-accuracy', 'learning-curve-train-loss', 'cost', 'history']);
    for (const c of charts) {
      expect(c.width, `${c.id} width`).toBeGreaterThan(100);
      expect(c.height, `${c.id} height`).toBeGreaterThan(100);
      expect(c.drawn, `${c.id} drawn marks`).toBeGreaterThan(0);
      expect(c.drawn, `${c.id} every mark drawn`).toBe(c.marks);
    }
    // One dot per completed trial in the Pareto chart.
    expect(await page.$$eval('svg[data-chart="pareto"] circle.point', (e) => e.length)).toBe(16);
    // The optimisation history: one dot per completed trial, one best-so-far line.
    expect(await page.$$eval('svg[data-chart="history"] circle.trial', (e) => e.length)).toBe(16);
    expect(await page.$$eval('svg[data-chart="history"] polyline.best', (e) => e.length)).toBe(1);
    // one row per claim (checkClaims: 10 since the forgetting claim)
    expect(await page.$$eval('#claims tbody tr', (e) => e.length)).toBe(10);
    await page.screenshot({ path: join(outDir, 'report-html.png'), fullPage: true });
    expect(attempted).toEqual([]);
    await page.close();
  });

  it('renders the sweep with gaps, saying which charts are missing', async () => {
    const { page, attempted } = await open(renderReport(fixture('sweep-missing'), 'html'));
    expect(await page.$$eval('svg.chart', (s) => s.map((x) => x.getAttribute('data-chart')))).toEqual(['pareto', 'history']);
    const missing = await page.$$eval('figure.chart-missing', (f) => f.map((x) => x.textContent ?? ''));
    expect(missing.some((t) => t.includes('no trial has recorded metric series'))).toBe(true);
    expect(missing.some((t) => t.includes('no full fine-tuning baseline'))).toBe(true);
    expect(await page.textContent('#missing')).toContain('prompt: no completed trial reported accuracy');
    await page.screenshot({ path: join(outDir, 'report-html-missing.png'), fullPage: true });
    expect(attempted).toEqual([]);
    await page.close();
  });

  it('would notice a request (the guard itself works)', async () => {
    const html = renderReport(fixture('sweep'), 'html').replace('</body>', '<img src="http://192.0.2.1/x.png"></body>');
    const { page, attempted } = await open(html);
    expect(attempted).toContain('http://192.0.2.1/x.png');
    await page.close();
  });

  it('prints the same page to PDF', async () => {
    const file = join(outDir, 'report.pdf');
    await renderPdf(renderReport(fixture('sweep'), 'html'), file);
    const head = readFileSync(file).subarray(0, 5).toString('latin1');
    expect(head).toBe('%PDF-');
    expect(statSync(file).size).toBeGreaterThan(10_000);
  });
});
