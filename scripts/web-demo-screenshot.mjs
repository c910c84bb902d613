// `npm run screenshot:web`: docs/web-demo.png, the web demo after its MNIST run, taken in headless Chromium
// (playwright-core with the system browser: $CHROMIUM_PATH or the usual paths) from `npm run demo:web`'s server.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer } from '../examples/web/serve.mjs';

const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable']
  .find((path) => path && existsSync(path));
if (!executablePath) {
  console.error('web-demo-screenshot: no Chromium found; set CHROMIUM_PATH');
  process.exit(1);
}
const target = new URL('../docs/web-demo.png', import.meta.url).pathname;
const server = await startServer(0);
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  await page.click('#run-mnist');
  await page.waitForSelector('body[data-state="done"], body[data-state="failed"]', { timeout: 300_000 });
  const result = await page.evaluate(() => window.demoResult);
  if (result.error) throw new Error(`the demo failed: ${result.error}`);
  await page.screenshot({ path: target, fullPage: true });
  console.log(`${target}: the MNIST run (${result.rows} rows, ${result.reports} progress reports on the chart)`);
} finally {
  await browser.close();
  server.close();
}
