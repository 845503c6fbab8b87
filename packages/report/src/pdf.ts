/**
 * PDF of the HTML report through Chromium's print. Optional: needs Debian's
 * `chromium` (or CHROMIUM_PATH) and playwright-core; everything else in this
 * package works without them. Network is refused for the page, so the PDF
 * shows exactly what the offline HTML shows.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PdfRenderError } from './errors.js';

/** Flags that work headless as root on these machines (see the project's environment notes). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/**
 * Print `html` to `outFile` as A4 PDF (backgrounds on).
 * @throws PdfRenderError when Chromium is missing or fails.
 */
export async function renderPdf(html: string, outFile: string): Promise<void> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) throw new PdfRenderError(`chromium: not found at ${executablePath} (install Debian "chromium" or set CHROMIUM_PATH)`);
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'peft-lab-pdf-'));
  let browser: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | null = null;
  try {
    browser = await chromium.launchPersistentContext(profile, { executablePath, args: CHROMIUM_ARGS, headless: true, offline: true });
    const page = await browser.newPage();
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    const pdf = await page.pdf({ format: 'A4', printBackground: true, margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' } });
    await writeFile(outFile, pdf);
  } catch (e) {
    if (e instanceof PdfRenderError) throw e;
    throw new PdfRenderError(`pdf: Chromium could not print the report to ${outFile}: ${(e as Error).message}`);
  } finally {
    await browser?.close();
    await rm(profile, { recursive: true, force: true });
  }
}
