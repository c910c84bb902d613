// The web demo's status line and convergence chart (examples/web/progress.js) fed with the progress events of real
// fits of every kind: pca's read pass (no values) then its rounds, its data route (a pass per round), a one-shot
// stream, in memory; cca's pass, float32 and float64 rounds. The chart draws on a recording canvas, so what it draws
// is counted.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NpySource, cca, pca, type GeneralizedProgress, type PCAProgress } from '../../src/entries/node';
import { plantedData } from '../../scripts/planted.mjs';
import { ConvergenceChart, describeProgress, seriesColour } from '../../examples/web/progress.js';
import { chunkedStream, npyBytes } from '../helpers/npy';
import { plantedViews } from '../helpers/planted-pencils';

type Progress = PCAProgress | GeneralizedProgress;

const n = 6000;
const d = 12;
const k = 3;
const planted = plantedData({ n, d, spectrum: Float64Array.from({ length: d }, (_, i) => 10 * 0.7 ** i), seed: 5 });
const npy = npyBytes(planted.data, n, d);
const file = join(mkdtempSync(join(tmpdir(), 'eigengame-web-progress-')), 'planted.npy');
writeFileSync(file, npy);

async function events(fit: (onProgress: (progress: Progress) => void) => Promise<unknown>): Promise<Progress[]> {
  const seen: Progress[] = [];
  await fit((progress) => seen.push(progress));
  return seen;
}

/** Each fit, and whether its first events carry no values (a pass that reads rows before any round). */
const fits: [string, () => Promise<Progress[]>, boolean][] = [
  ['pca of a file (a read pass, then rounds on the covariance)', () => events((onProgress) => pca(new NpySource(file), { k, devices: 1, batchSize: 1000, onProgress })), true],
  ['pca of a file, solver data (a pass per round, the first unreported)', () => events((onProgress) => pca(new NpySource(file), { k, devices: 1, batchSize: 1000, solver: 'data', maxSteps: 40, onProgress })), false],
  ['pca of a one-shot stream (read into the covariance, then rounds)', () => events((onProgress) => pca(new NpySource(chunkedStream(npy, [4096])), { k, devices: 1, batchSize: 500, onProgress })), true],
  ['pca in memory', () => events((onProgress) => pca(planted, { k, devices: 1, onProgress })), false],
  ['cca in memory (its pass, then float32 and float64 rounds)', () => {
    const views = plantedViews({ n: 3000, dx: 40, dy: 30, correlations: [0.9, 0.8, 0.7], seed: 3, spread: 1000 });
    return events((onProgress) => cca(views.X, views.Y, { k, tol: 1e-13, onProgress }));
  }, true],
];

/** A 2-D context that records what the last redraw drew (from its clearRect): per stroke or fill colour, the path points stroked and rectangles filled. */
function recordingCanvas() {
  const drawn = new Map<string, number>();
  let path = 0;
  const state: Record<string, unknown> = {};
  const context = new Proxy(state, {
    get(target, name: string) {
      if (name in target) return target[name];
      if (name === 'beginPath') return () => void (path = 0);
      if (name === 'clearRect') return () => drawn.clear();
      if (name === 'moveTo' || name === 'lineTo') return () => void path++;
      if (name === 'stroke') return () => drawn.set(String(target.strokeStyle), (drawn.get(String(target.strokeStyle)) ?? 0) + path);
      if (name === 'fillRect') return () => drawn.set(String(target.fillStyle), (drawn.get(String(target.fillStyle)) ?? 0) + 1);
      return () => {};
    },
  });
  const canvas = { width: 560, height: 300, dataset: {} as Record<string, string>, getContext: () => context };
  return { canvas, drawn };
}

describe.each(fits)('the web demo shows %s', (_, collect, startsReading) => {
  let seen: Progress[] = [];

  it('with a status line that reads right for every event', async () => {
    seen = await collect();
    expect(seen.length).toBeGreaterThan(0);
    const first = seen[0];
    expect(("utilities" in first ? first.utilities : first.values).length === 0, JSON.stringify(seen.slice(0, 3).map((p) => ({ ...p, u: ("utilities" in p ? p.utilities : p.values).length })))).toBe(startsReading);
    for (const progress of seen) {
      const values = 'utilities' in progress ? progress.utilities : progress.values;
      const line = describeProgress('data.npy', progress);
      expect(line).not.toMatch(/undefined|NaN|null|\[object/);
      if (values.length === 0) {
        expect(line).toMatch(/^reading data\.npy: [\d,]+ (rows|batch [\d,]+) read/);
      } else {
        expect(line).toMatch(/^fitting data\.npy: (pass [\d,]+, )?round [\d,]+ of at most [\d,]+( \(finishing in float64\))?, (subspace distance still to go ≤ \d\.\de[+-]\d+|distance still to go not estimated yet)$/);
        if ('epoch' in progress && progress.epoch !== undefined) expect(line).toContain(`pass ${progress.epoch}`);
      }
      expect(line).toContain(values.length === 0 ? `${(progress.rowsRead ?? 0).toLocaleString('en-US')} rows` : `round ${progress.step.toLocaleString('en-US')} `);
    }
  }, 120_000);

  it('with a chart that draws each player\'s line, whatever the first event carries', () => {
    const { canvas, drawn } = recordingCanvas();
    const chart = new ConvergenceChart(canvas as unknown as HTMLCanvasElement);
    chart.reset(k);
    const withValues = seen.filter((progress) => ('utilities' in progress ? progress.utilities : progress.values).length > 0);
    expect(withValues.length).toBeGreaterThan(0);
    for (const progress of seen) chart.add(progress);
    const colours = JSON.parse(canvas.dataset.series) as string[];
    expect(colours).toEqual([0, 1, 2].map((i) => seriesColour(i, k)));
    // Each player: a path through every report with values, and a mark at each.
    for (const colour of colours) expect(drawn.get(colour), colour).toBe(2 * withValues.length);
  });
});

it('series colours are distinct #rrggbb', () => {
  const colours = Array.from({ length: 16 }, (_, i) => seriesColour(i, 16));
  colours.forEach((colour) => expect(colour).toMatch(/^#[0-9a-f]{6}$/));
  expect(new Set(colours).size).toBe(16);
  expect(seriesColour(0, 1)).toBe('#bd2828');
});
