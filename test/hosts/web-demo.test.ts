// The web demo (examples/web, `npm run demo:web`) in real Chromium: the MNIST sample runs on Web Workers with the
// chart, the images, the scatter and the variance table, and its numbers are MNIST's (numpy reference); a dropped
// CSV file runs too. A screenshot is saved to out/web-demo.png.

import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useChromium } from './chromium';
import { chromiumMissing, describeIfAvailable } from './requirements';
import { startServer } from '../../examples/web/serve.mjs';

const reference = JSON.parse(readFileSync(new URL('../fixtures/mnist-10k-top16.json', import.meta.url), 'utf8')) as { eigenvalues: number[] };

interface DemoResult {
  backend: { kind: string; devices: number };
  rows: number;
  points: number;
  explainedVariance: number[];
  error?: string;
}

describeIfAvailable('the web demo', chromiumMissing(), () => {
  const browser = useChromium();
  let server: Server;
  let origin = '';

  beforeAll(async () => {
    server = await startServer(0);
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('runs the MNIST sample on workers and shows MNIST\'s numbers, images and scatter', async () => {
    const page = await browser().newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}/`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
    expect(await page.textContent('#host')).toMatch(/Web Workers on shared memory/);
    await page.click('#run-mnist');
    await page.waitForSelector('body[data-state="done"], body[data-state="failed"]', { timeout: 120_000 });
    const result = await page.evaluate(() => (window as unknown as { demoResult: DemoResult }).demoResult);
    expect(result.error, result.error).toBeUndefined();
    expect(result.backend.kind).toBe('workers');
    expect(result.rows).toBe(10000);
    expect(result.points).toBe(10000);
    result.explainedVariance.forEach((value, i) => expect(Math.abs(value / reference.eigenvalues[i] - 1)).toBeLessThan(1e-4));
    expect(await page.textContent('#status')).toMatch(/done in [\d.]+ s: 10000 rows × 784 columns \(npy\), k = 16, on \d+ worker devices/);
    expect(await page.textContent('#variance tbody tr:first-child td:nth-child(2)')).toBe(reference.eigenvalues[0].toFixed(6));
    expect(await page.locator('#components canvas').count()).toBe(16);
    expect(await page.evaluate(() => (document.querySelector('#chart') as HTMLCanvasElement).toDataURL().length)).toBeGreaterThan(5000);
    mkdirSync(new URL('../../out/', import.meta.url), { recursive: true });
    await page.screenshot({ path: new URL('../../out/web-demo.png', import.meta.url).pathname, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('fits a CSV file chosen by the user, and says what is wrong with a bad one', async () => {
    const page = await browser().newPage();
    await page.goto(`${origin}/`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
    await page.fill('#k', '2');
    const rows = Array.from({ length: 500 }, (_, r) => [Math.sin(r), Math.cos(r) * 2, r % 7, (r * 13) % 5, r % 3].join(','));
    await page.setInputFiles('#file', { name: 'small.csv', mimeType: 'text/csv', buffer: Buffer.from(`a,b,c,d,e\n${rows.join('\n')}\n`) });
    await page.waitForSelector('body[data-state="done"], body[data-state="failed"]', { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/done in [\d.]+ s: 500 rows × 5 columns \(csv\), k = 2/);
    expect(await page.locator('#components-figure').isHidden()).toBe(true);
    await page.setInputFiles('#file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n3,x\n') });
    await page.waitForSelector('body[data-state="failed"]', { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/failed: bad\.csv: line 3, column 2 \("b"\): "x" is not a finite number/);
    await page.close();
  }, 120_000);
});
