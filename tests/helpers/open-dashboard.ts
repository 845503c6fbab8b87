// The set-up the Chromium tests share: the built app on a fresh test database, one
// Chromium page on it, and the page's uncaught errors collected.
import type { Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '@peft-lab/db/testing';
import { ensureAppBuilt, launchChromium, startApp, type RunningApp } from './start-app';

export interface Dashboard {
  database: TestDatabase;
  app: RunningApp;
  chromium: Awaited<ReturnType<typeof launchChromium>>;
  page: Page;
  /** The page's `pageerror`s, as strings. */
  pageErrors: string[];
  /** Closes Chromium, stops the app, removes the database. */
  close(): Promise<void>;
}

/**
 * Builds the app if stale, creates a test database, runs `beforeApp` on it (fixtures, a trained
 * sweep…), starts the app and opens a page. If a step throws, what was started is closed.
 * @example
 * let dash: Dashboard;
 * beforeAll(async () => { dash = await openDashboard({ beforeApp: (t) => registerTinyFixtures(t.db) }); }, 900_000);
 * afterAll(() => dash?.close());
 */
export async function openDashboard(opts: {
  beforeApp?: (database: TestDatabase) => Promise<unknown>;
  env?: Record<string, string>;
  viewport?: { width: number; height: number };
} = {}): Promise<Dashboard> {
  ensureAppBuilt((s) => console.log(s));
  let database: TestDatabase | undefined;
  let app: RunningApp | undefined;
  let chromium: Dashboard['chromium'] | undefined;
  const close = async () => {
    await chromium?.close();
    await app?.stop();
    await database?.cleanup();
  };
  try {
    database = await createTestDatabase();
    await opts.beforeApp?.(database);
    app = await startApp({ databaseUrl: database.url, env: opts.env });
    chromium = await launchChromium(opts.viewport ?? { width: 1280, height: 800 });
    const page = await chromium.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    return { database, app, chromium, page, pageErrors, close };
  } catch (err) {
    await close();
    throw err;
  }
}
