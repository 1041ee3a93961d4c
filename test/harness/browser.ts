/**
 * Opens a report page in headless Chromium (Debian's `chromium`, driven by playwright-core) and
 * collects what went wrong while it loaded: console errors (CSP violations land there too) and
 * page errors. A missing browser fails the test with what to install: a skipped browser test
 * would pass for a page nobody has rendered.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CACHECTL_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the browser tests need Chromium at ${CHROMIUM}: install it (Debian: apt-get install -y chromium; .ci/run does), or set CACHECTL_CHROMIUM to its path`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

export interface LoadedPage {
  page: Page;
  /** Console errors and warnings, and uncaught page errors, in order. */
  problems: string[];
  /** Requests the page tried to make (other than itself). */
  requests: string[];
}

export async function openReport(browser: Browser, path: string): Promise<LoadedPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  const self = pathToFileURL(path).href;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== self) requests.push(r.url());
  });
  await page.goto(self, { waitUntil: 'load' });
  return { page, problems, requests };
}
