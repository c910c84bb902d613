// The web demo (examples/web, `npm run demo:web`) in real Chromium: the MNIST sample runs on Web Workers, and what
// the page draws is read back: the convergence chart's pixels (every player's colour inside the plot), the scree
// plot rendered to pixels (one bar per component) with MNIST's shares (numpy reference), the scatter, the images,
// the variance table, and every status line the fit showed; a dropped CSV file runs too. A screenshot is saved to
// out/web-demo.png (docs/web-demo.png is made by `npm run screenshot:web`).

import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useChromium } from './chromium';
import { chromiumMissing, describeIfAvailable } from './requirements';
import { startServer } from '../../examples/web/serve.mjs';
import { sparseFixture } from '../helpers/sparse-files';

const reference = JSON.parse(readFileSync(new URL('../fixtures/mnist-10k-top16.json', import.meta.url), 'utf8')) as {
  eigenvalues: number[]; totalVariance: number;
};

/**
 * Pixels of a player's exact colour that show it was drawn: half of the 5 × 5 mark at one report (a fit of few
 * rounds may report once; MNIST's players have over 100 each, a blank chart none).
 */
const MIN_SERIES_PIXELS = 12;

/** Per series of the convergence chart (colours from the canvas's dataset): its pixels of exactly that colour inside the plot. */
function chartPixels(page: Page): Promise<{ colours: string[]; pixels: number[] }> {
  return page.evaluate(() => {
    const canvas = document.querySelector('#chart') as HTMLCanvasElement;
    const plot = JSON.parse(canvas.dataset.plot!) as { left: number; top: number; width: number; height: number };
    const colours = JSON.parse(canvas.dataset.series!) as string[];
    const data = canvas.getContext('2d')!.getImageData(plot.left, plot.top, plot.width, plot.height).data;
    const pixels = colours.map((colour) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
      let found = 0;
      for (let p = 0; p < data.length; p += 4) if (data[p] === r && data[p + 1] === g && data[p + 2] === b) found++;
      return found;
    });
    return { colours, pixels };
  });
}

/**
 * The scree plot as drawn: its SVG rendered to a canvas, and the runs of the bars' colour along the row just above
 * the axis (one per bar), with the share printed over each bar.
 */
function screePlot(page: Page): Promise<{ runs: number; rects: number; shares: string[] }> {
  return page.evaluate(async () => {
    const svg = document.querySelector('#variance-plot svg') as SVGSVGElement;
    const image = new Image();
    image.src = `data:image/svg+xml,${encodeURIComponent(new XMLSerializer().serializeToString(svg))}`;
    await image.decode();
    const canvas = Object.assign(document.createElement('canvas'), { width: svg.width.baseVal.value, height: svg.height.baseVal.value });
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const axis = Number(svg.querySelector('.frame')!.getAttribute('y1'));
    const row = context.getImageData(0, Math.round(axis) - 3, canvas.width, 1).data;
    let runs = 0;
    let inside = false;
    for (let x = 0; x < canvas.width; x++) {
      const bar = Math.abs(row[x * 4] - 0x4e) + Math.abs(row[x * 4 + 1] - 0x79) + Math.abs(row[x * 4 + 2] - 0xa7) < 12;
      if (bar && !inside) runs++;
      inside = bar;
    }
    return { runs, rects: svg.querySelectorAll('rect.bar').length, shares: Array.from(svg.querySelectorAll('.share'), (text) => text.textContent ?? '') };
  });
}

/** Records every text the status line shows from now on. */
async function recordStatus(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const lines: string[] = [];
    (window as unknown as { statusLines: string[] }).statusLines = lines;
    new MutationObserver((records) => records.forEach((record) => record.addedNodes.forEach((node) => lines.push(node.textContent ?? ''))))
      .observe(document.querySelector('#status')!, { childList: true });
  });
  return () => page.evaluate(() => (window as unknown as { statusLines: string[] }).statusLines);
}

interface DemoResult {
  backend: { kind: string; devices: number };
  rows: number;
  points: number;
  explainedVariance: number[];
  reports: number;
  solver: string;
  components: number[];
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
    const statusLines = await recordStatus(page);
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

    // The chart: every one of the 16 players has pixels of its colour in the plot (a blank chart has none).
    expect(result.reports).toBeGreaterThan(0);
    const chart = await chartPixels(page);
    expect(chart.colours).toHaveLength(16);
    expect(new Set(chart.colours).size).toBe(16);
    // Where players' values meet, later players' lines and marks are drawn over earlier ones (MNIST's 13th to 16th
    // eigenvalues lie within 9 % of each other): each keeps some pixels of its own, most keep a mark's worth.
    chart.pixels.forEach((count, i) => expect(count, `player ${i + 1} (${chart.colours[i]})`).toBeGreaterThan(0));
    expect([...chart.pixels].sort((a, b) => a - b)[8], chart.pixels.join(', ')).toBeGreaterThanOrEqual(MIN_SERIES_PIXELS);
    // The scree plot: 16 bars drawn, each labelled with its share of MNIST's total variance.
    const scree = await screePlot(page);
    expect([scree.rects, scree.runs]).toEqual([16, 16]);
    scree.shares.forEach((share, i) => expect(Math.abs(parseFloat(share) - (100 * reference.eigenvalues[i]) / reference.totalVariance)).toBeLessThanOrEqual(0.05 + 1e-9));
    // The scatter: every row a point, the axes with their shares.
    expect(await page.locator('#scatter svg .points circle').count()).toBe(10000);
    expect(await page.locator('#scatter svg .axis-label').allTextContents()).toEqual([
      `PC 1 · ${(100 * reference.eigenvalues[0] / reference.totalVariance).toFixed(1)} % of the variance`,
      `PC 2 · ${(100 * reference.eigenvalues[1] / reference.totalVariance).toFixed(1)} % of the variance`,
    ]);
    // The status line: reading, then rounds, then done; never a missing field.
    const lines = await statusLines();
    expect(lines.filter((line) => /undefined|NaN/.test(line))).toEqual([]);
    expect(lines.some((line) => /^reading the MNIST sample: [\d,]+ rows read$/.test(line)), lines.join('\n')).toBe(true);
    expect(lines.some((line) => /^fitting the MNIST sample: round \d+ of at most 10,000, /.test(line)), lines.join('\n')).toBe(true);
    expect(lines.at(-1)).toMatch(/^done in /);
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
    const chart = await chartPixels(page);
    expect(chart.pixels).toHaveLength(2);
    chart.pixels.forEach((count, i) => expect(count, `player ${i + 1} of ${chart.pixels.join(', ')}`).toBeGreaterThanOrEqual(MIN_SERIES_PIXELS));
    expect((await screePlot(page)).runs).toBe(2);
    expect(await page.locator('#scatter svg .points circle').count()).toBe(500);
    await page.setInputFiles('#file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n3,x\n') });
    await page.waitForSelector('body[data-state="failed"]', { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/failed: bad\.csv: line 3, column 2 \("b"\): "x" is not a finite number/);
    await page.close();
  }, 120_000);

  it('fits a dropped sparse file: a genes × cells .mtx.gz read transposed gives numpy\'s eigenpairs, and an .npz runs', async () => {
    const answers = JSON.parse(readFileSync(sparseFixture('answers.json'), 'utf8')) as {
      pca: { explainedVariance: number[]; components: number[][] };
    };
    const page = await browser().newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}/`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
    await page.fill('#k', '3');
    await page.check('#transpose');
    await page.setInputFiles('#file', { name: 'matrix.mtx.gz', mimeType: 'application/gzip', buffer: readFileSync(sparseFixture('genes-by-cells.mtx.gz')) });
    await page.waitForSelector('body[data-state="done"], body[data-state="failed"]', { timeout: 60_000 });
    const result = await page.evaluate(() => (window as unknown as { demoResult: DemoResult }).demoResult);
    expect(result.error, result.error).toBeUndefined();
    expect(await page.textContent('#status')).toMatch(/^done in [\d.]+ s: 60 rows × 30 columns \(mtx\.gz, \d+ stored entries, transposed\), k = 3, .*, sparse-covariance route$/);
    result.explainedVariance.forEach((value, i) => expect(Math.abs(value / answers.pca.explainedVariance[i] - 1)).toBeLessThan(1e-6));
    answers.pca.components.slice(0, 3).forEach((truth, i) => {
      const cosine = truth.reduce((sum, value, c) => sum + value * result.components[i * 30 + c], 0);
      expect(Math.abs(cosine)).toBeGreaterThan(1 - 1e-6);
    });
    expect(await page.locator('#scatter svg .points circle').count()).toBe(60);
    const chart = await chartPixels(page);
    chart.pixels.forEach((count, i) => expect(count, `player ${i + 1} of ${chart.pixels.join(', ')}`).toBeGreaterThanOrEqual(MIN_SERIES_PIXELS));
    expect((await screePlot(page)).runs).toBe(3);

    await page.uncheck('#transpose');
    await page.fill('#k', '2');
    await page.setInputFiles('#file', { name: 'tfidf.npz', mimeType: 'application/zip', buffer: readFileSync(sparseFixture('csr.npz')) });
    await page.waitForFunction(() => /^done in .* 9 rows × 7 columns \(npz, 23 stored entries\)/.test(document.querySelector('#status')!.textContent ?? ''), undefined, { timeout: 60_000 });
    expect(await page.locator('#scatter svg .points circle').count()).toBe(9);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
