// Drives the system Chromium with playwright-core (no browser download): one browser per suite, one page per case.

import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { chromiumPath } from './requirements';

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches Chromium before the suite's tests and closes it after; returns a getter for the browser. */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath()!, headless: true, args: FLAGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => browser!;
}

/** Opens `url` and waits for the page's `window.outcome` (see page-harness.mjs); throws the page's error if any. */
export async function runPage<T>(browser: Browser, url: string, timeout = 90_000): Promise<T> {
  const page = await browser.newPage();
  const log: string[] = [];
  page.on('pageerror', (error) => log.push(`page error: ${error.message}`));
  page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on('requestfailed', (request) => log.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => 'outcome' in window, null, { timeout });
    const outcome = await page.evaluate(() => (window as unknown as { outcome: { result?: T; error?: string } }).outcome);
    if (outcome.error !== undefined) throw new Error(`${url}: ${outcome.error}\n${log.join('\n')}`);
    return outcome.result as T;
  } catch (error) {
    if (error instanceof Error && !error.message.includes(url)) error.message += `\n(${url})\n${log.join('\n')}`;
    throw error;
  } finally {
    await page.close();
  }
}
