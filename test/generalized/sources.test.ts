// cca, pls and lda from sources: two .npy files read in lock step, one CSV split by column names, one-shot streams,
// and a label column, each giving the in-memory fit's answer (to float32 rounding of the block means' merge).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvSource, Moments, NpySource, cca, lda, openSource, pls } from '../../src/entries/node';
import { chunkedStream, npyBytes } from '../helpers/npy';
import { rowCosine } from '../helpers/pencil-reference';
import { plantedClasses, plantedViews } from '../helpers/planted-pencils';

const directory = mkdtempSync(join(tmpdir(), 'eigengame-generalized-'));
const views = plantedViews({ n: 3000, dx: 12, dy: 8, correlations: [0.9, 0.7, 0.5], seed: 21 });
const { n, dx, dy } = views;
writeFileSync(join(directory, 'x.npy'), npyBytes(views.x, n, dx, 'float64'));
writeFileSync(join(directory, 'y.npy'), npyBytes(views.y, n, dy, 'float64'));
const header = [...Array.from({ length: dx }, (_, c) => `x${c}`), ...Array.from({ length: dy }, (_, c) => `y${c}`)];
const lines = Array.from({ length: n }, (_, r) => [...views.x.subarray(r * dx, (r + 1) * dx), ...views.y.subarray(r * dy, (r + 1) * dy)].join(','));
writeFileSync(join(directory, 'xy.csv'), `${header.join(',')}\n${lines.join('\n')}\n`);

function expectSameFit(a: { xWeights: Float64Array; yWeights: Float64Array }, b: { xWeights: Float64Array; yWeights: Float64Array }, values: [Float64Array, Float64Array], k: number) {
  for (let i = 0; i < k; i++) {
    expect(Math.abs(values[0][i] / values[1][i] - 1)).toBeLessThan(1e-6);
    expect(rowCosine(a.xWeights, b.xWeights, i, dx)).toBeGreaterThan(0.99999);
    expect(rowCosine(a.yWeights, b.yWeights, i, dy)).toBeGreaterThan(0.99999);
  }
}

describe('cca and pls from sources', () => {
  it('two .npy files read in lock step give the in-memory answer, in one pass', async () => {
    const memory = await cca(views.X, views.Y, { k: 3 });
    const streamed = await cca(openSource(join(directory, 'x.npy')), openSource(join(directory, 'y.npy')), { k: 3, batchSize: 500 });
    expectSameFit(streamed, memory, [streamed.correlations, memory.correlations], 3);
    expect(streamed.passes).toBe(1);
    expect(streamed.nSamples).toBe(n);
    for (let c = 0; c < dx; c++) expect(streamed.xMean[c]).toBeCloseTo(memory.xMean[c], 9);
  });

  it('one CSV file split by column names gives the same answer', async () => {
    const memory = await cca(views.X, views.Y, { k: 3 });
    const split = await cca(new CsvSource(join(directory, 'xy.csv')), { k: 3, x: header.slice(0, dx), y: header.slice(dx) });
    expectSameFit(split, memory, [split.correlations, memory.correlations], 3);
  });

  it('one matrix split by column indices gives the same answer as two', async () => {
    const joint = Array.from({ length: n }, (_, r) => [...views.x.subarray(r * dx, (r + 1) * dx), ...views.y.subarray(r * dy, (r + 1) * dy)]);
    const indices = (from: number, count: number) => Array.from({ length: count }, (_, c) => from + c);
    const split = await pls(joint, { k: 2, x: indices(0, dx), y: indices(dx, dy) });
    const memory = await pls(views.X, views.Y, { k: 2 });
    expect(Array.from(split.singularValues)).toEqual(Array.from(memory.singularValues));
    expect(Array.from(split.xWeights)).toEqual(Array.from(memory.xWeights));
  });

  it('two one-shot streams give the in-memory answer (pls)', async () => {
    const stream = (values: Float64Array, cols: number, name: string) => new NpySource(chunkedStream(npyBytes(values, n, cols, 'float64'), [4093, 65536]), { name });
    const memory = await pls(views.X, views.Y, { k: 3 });
    const streamed = await pls(stream(views.x, dx, 'x.npy'), stream(views.y, dy, 'y.npy'), { k: 3, batchSize: 700 });
    expectSameFit(streamed, memory, [streamed.singularValues, memory.singularValues], 3);
  });
});

describe('lda from sources', () => {
  const planted = plantedClasses({ n: 2000, d: 10, classes: 4, separation: 1, seed: 3 });
  const withLabels = Array.from({ length: planted.n }, (_, r) => [planted.labels[r], ...planted.x.subarray(r * 10, (r + 1) * 10)]);
  writeFileSync(join(directory, 'classes.npy'), npyBytes(withLabels.flat(), planted.n, 11, 'float64'));
  writeFileSync(join(directory, 'features.npy'), npyBytes(planted.x, planted.n, 10, 'float64'));

  it('a label column of the file, or labels in an array beside it, give the in-memory answer', async () => {
    const memory = await lda(planted.X, planted.labels, { k: 3 });
    const column = await lda(openSource(join(directory, 'classes.npy')), { k: 3, labels: 0, batchSize: 300 });
    const beside = await lda(openSource(join(directory, 'features.npy')), planted.labels, { k: 3, batchSize: 300 });
    for (const model of [column, beside]) {
      expect(model.classes).toEqual([0, 1, 2, 3]);
      for (let i = 0; i < 3; i++) {
        expect(Math.abs(model.eigenvalues[i] / memory.eigenvalues[i] - 1)).toBeLessThan(1e-6);
        expect(rowCosine(model.scalings, memory.scalings, i, 10)).toBeGreaterThan(0.99999);
      }
      expect(model.predict(planted.X)).toEqual(memory.predict(planted.X));
    }
  });

  it('labels fewer or more than the rows are refused with both counts', async () => {
    await expect(lda(openSource(join(directory, 'features.npy')), planted.labels.slice(5), { k: 1, batchSize: 300 }))
      .rejects.toThrow(/^labels has 1995 values but .*features\.npy has more rows \(at least 2000\): one label per row$/);
    await expect(lda(openSource(join(directory, 'features.npy')), [...planted.labels, 1, 2], { k: 1, batchSize: 300 }))
      .rejects.toThrow(/^labels has 2002 values but .*features\.npy has 2000 rows: one label per row$/);
  });
});

describe('cca and pls of Moments', () => {
  it('the moments of [X | Y] (merged from shards) give the fit of the rows, with no pass', async () => {
    const joint = Array.from({ length: n }, (_, r) => [...views.x.subarray(r * dx, (r + 1) * dx), ...views.y.subarray(r * dy, (r + 1) * dy)]);
    const shards = await Promise.all([0, 1, 2].map((s) => Moments.of(joint.slice(s * 1000, (s + 1) * 1000))));
    const merged = Moments.merge(shards.map((part) => Moments.fromJSON(JSON.stringify(part))));
    const columns = (from: number, count: number) => Array.from({ length: count }, (_, c) => from + c);
    const fromMoments = await cca(merged, { k: 3, x: columns(0, dx), y: columns(dx, dy) });
    const memory = await cca(views.X, views.Y, { k: 3 });
    expectSameFit(fromMoments, memory, [fromMoments.correlations, memory.correlations], 3);
    expect(fromMoments.passes).toBe(0);
    expect(fromMoments.nSamples).toBe(n);
    for (let c = 0; c < dy; c++) expect(fromMoments.yMean[c]).toBeCloseTo(memory.yMean[c], 9);
    const plsMoments = await pls(merged, { k: 2, x: columns(0, dx), y: columns(dx, dy) });
    const plsMemory = await pls(views.X, views.Y, { k: 2 });
    expectSameFit(plsMoments, plsMemory, [plsMoments.singularValues, plsMemory.singularValues], 2);
    await expect(cca(merged as never, merged as never, { k: 1 })).rejects.toThrow(/^Moments hold one set of columns: pass the moments of \[X \| Y\] alone/);
  });
});

describe('lda of Moments', () => {
  it('the Moments of each class (from shards, merged per class) give the fit of the rows', async () => {
    const planted = plantedClasses({ n: 1800, d: 8, classes: 3, separation: 1, seed: 12 });
    const names = ['c', 'a', 'b'];
    const rowsOf = (label: number, from: number, to: number) => {
      const rows: number[][] = [];
      for (let r = from; r < to; r++) if (planted.labels[r] === label) rows.push(Array.from(planted.x.subarray(r * 8, (r + 1) * 8)));
      return rows;
    };
    // Two shards of rows; each computes its classes' moments; the reducer merges them class by class.
    const parts = await Promise.all([0, 1, 2].map(async (label) => Moments.merge(await Promise.all([rowsOf(label, 0, 900), rowsOf(label, 900, 1800)].map((rows) => Moments.of(rows))))));
    const fromMoments = await lda(parts, names, { k: 2 });
    const memory = await lda(planted.X, planted.labels.map((label) => names[label]), { k: 2 });
    expect(fromMoments.classes).toEqual(['a', 'b', 'c']);
    expect(fromMoments.passes).toBe(0);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(fromMoments.eigenvalues[i] / memory.eigenvalues[i] - 1)).toBeLessThan(1e-6);
      expect(rowCosine(fromMoments.scalings, memory.scalings, i, 8)).toBeGreaterThan(0.99999);
    }
    expect(fromMoments.predict(planted.X)).toEqual(memory.predict(planted.X));
    await expect(lda(parts, ['a', 'a', 'b'], { k: 1 })).rejects.toThrow(/^classes has a label twice: merge the Moments of one class first/);
    await expect(lda(parts, ['a', 'b'], { k: 1 })).rejects.toThrow(/^classes has 2 labels but there are 3 Moments: one label per class$/);
  });
});
