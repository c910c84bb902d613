// Moments: the covariance route's state as a public object. Checked against a float64 two-pass scatter of the same
// rows (the definition), shards merged against one pass over the whole, fixed-order merges and JSON to the bit,
// sources in one pass, data far from zero, and every bad input.

import { describe, expect, it } from 'vitest';
import { Moments, NpySource, pca, type MomentsJSON, type PCAModel } from '../../src/entries/node';
import { gappedSpectrum } from '../../scripts/planted.mjs';
import { chunkedStream, npyBytes } from '../helpers/npy';
import { normals } from '../helpers/random';
import { sampledData } from '../helpers/sampled';

const n = 3001;
const d = 37;
const k = 4;
const sample = sampledData(n, d, gappedSpectrum(d, k, 0.1, 0.5), 11);
/** Rows [first, last) of the sample as a matrix (a shard). */
const rows = (first: number, last: number, data: Float32Array | Float64Array = sample.data) => ({
  data: data.subarray(first * d, last * d), rows: last - first, cols: d,
});
/** Uneven shards, one of them a single row. */
const CUTS = [0, 1000, 1001, 2345, n];
const shards = (data?: Float32Array | Float64Array) => CUTS.slice(1).map((last, s) => rows(CUTS[s], last, data));

/** The float64 definition: column means, then Σ (x − mean)(x − mean)ᵀ. */
function definition(data: ArrayLike<number>, count: number) {
  const mean = new Float64Array(d);
  for (let r = 0; r < count; r++) for (let c = 0; c < d; c++) mean[c] += data[r * d + c];
  for (let c = 0; c < d; c++) mean[c] /= count;
  const scatter = new Float64Array(d * d);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < d; i++) {
      const a = data[r * d + i] - mean[i];
      for (let j = 0; j < d; j++) scatter[i * d + j] += a * (data[r * d + j] - mean[j]);
    }
  }
  return { mean, scatter };
}

/** The largest entry error of a scatter relative to its largest diagonal entry. */
function scatterError(found: Float64Array, expected: Float64Array): number {
  let largest = 0;
  for (let i = 0; i < d; i++) largest = Math.max(largest, expected[i * d + i]);
  return Math.max(...found.map((value, i) => Math.abs(value - expected[i]))) / largest;
}

function minCos(a: PCAModel, b: PCAModel): number {
  let least = 1;
  for (let i = 0; i < a.k; i++) {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += a.components[i * d + c] * b.components[i * d + c];
    least = Math.min(least, Math.abs(dot));
  }
  return least;
}

const bitsOf = (moments: Moments) => [moments.n, Array.from(moments.mean), Array.from(moments.scatter)];

describe('Moments', { timeout: 60_000 }, () => {
  const exact = definition(sample.data, n);

  it('of a matrix: the exact mean and the float64 scatter of the centred rows (to float32 products, 1e-6)', async () => {
    const moments = await Moments.of(sample, { devices: 1 });
    expect(moments.n).toBe(n);
    expect(moments.d).toBe(d);
    moments.mean.forEach((value, c) => expect(Math.abs(value - exact.mean[c])).toBeLessThan(1e-13 * Math.abs(exact.mean[c])));
    expect(scatterError(moments.scatter, exact.scatter)).toBeLessThan(1e-6);
    expect(moments.covariance()[5 * d + 7]).toBeCloseTo(exact.scatter[5 * d + 7] / (n - 1), 5);
  });

  it('shards merged give the single-pass moments and, through pca, its answer', async () => {
    const parts = await Promise.all(shards().map((shard) => Moments.of(shard, { devices: 1 })));
    const merged = Moments.merge(parts);
    expect(merged.n).toBe(n);
    merged.mean.forEach((value, c) => expect(Math.abs(value - exact.mean[c])).toBeLessThan(1e-13 * Math.abs(exact.mean[c])));
    expect(scatterError(merged.scatter, exact.scatter)).toBeLessThan(1e-6);
    const whole = await pca(sample, { k, devices: 1 });
    const fromShards = await pca(merged, { k, devices: 1 });
    expect([fromShards.solver, fromShards.passes, fromShards.nSamples]).toEqual(['covariance', 0, n]);
    expect(minCos(fromShards, whole)).toBeGreaterThan(0.999999);
    fromShards.explainedVariance.forEach((value, i) => expect(Math.abs(value / whole.explainedVariance[i] - 1)).toBeLessThan(1e-6));
    fromShards.explainedVarianceRatio.forEach((value, i) => expect(Math.abs(value / whole.explainedVarianceRatio[i] - 1)).toBeLessThan(1e-6));
    expect(Array.from(fromShards.mean)).toEqual(Array.from(merged.mean));
  });

  it('the same parts in the same order merge to the same bits, also when each crossed JSON on the way', async () => {
    const parts = await Promise.all(shards().map((shard) => Moments.of(shard, { devices: 1 })));
    const direct = Moments.merge(parts);
    const shipped = Moments.merge(parts.map((part) => Moments.fromJSON(JSON.stringify(part))));
    expect(bitsOf(shipped)).toEqual(bitsOf(direct));
    const accumulated = new Moments(d);
    for (const part of parts) accumulated.merge(part);
    expect(bitsOf(accumulated)).toEqual(bitsOf(direct));
    expect(bitsOf(Moments.fromJSON(direct.toJSON()))).toEqual(bitsOf(direct));
    // The scatter is symmetric to the bit, as its JSON (the upper triangle) assumes.
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) expect(direct.scatter[i * d + j]).toBe(direct.scatter[j * d + i]);
  });

  it('partialFit adds batches in place (scikit-learn’s vocabulary) and equals the merge of their moments', async () => {
    const incremental = new Moments(d);
    for (const shard of shards()) expect(await incremental.partialFit(shard, { devices: 1 })).toBe(incremental);
    const parts = await Promise.all(shards().map((shard) => Moments.of(shard, { devices: 1 })));
    expect(bitsOf(incremental)).toEqual(bitsOf(Moments.merge(parts)));
  });

  it('gives the same bits on 1 and 2 worker devices', async () => {
    const one = await Moments.of(sample, { devices: 1 });
    const two = await Moments.of(sample, { devices: 2 });
    expect(bitsOf(two)).toEqual(bitsOf(one));
  });

  it('of a one-shot stream: one pass, every row, the in-memory moments to 1e-6 (and the stream is closed)', async () => {
    const stream = chunkedStream(npyBytes(sample.data, n, d), [4096, 77]);
    const streamed = await Moments.of(new NpySource(stream), { batchSize: 500, devices: 1 });
    expect(streamed.n).toBe(n);
    streamed.mean.forEach((value, c) => expect(Math.abs(value - exact.mean[c])).toBeLessThan(1e-12 * Math.abs(exact.mean[c])));
    expect(scatterError(streamed.scatter, exact.scatter)).toBeLessThan(1e-6);
    expect(stream.locked).toBe(false);
  });

  it('shards far from zero (timestamps near 1.7e9, float64) merge to the unshifted variances', async () => {
    const shifted = Float64Array.from(sample.data, (value) => value + 1.7e9);
    const parts = await Promise.all(shards(shifted).map((shard) => Moments.of(shard, { devices: 1 })));
    const merged = Moments.merge(parts);
    const centred = definition(sample.data, n);
    expect(scatterError(merged.scatter, centred.scatter)).toBeLessThan(1e-5);
    const model = await pca(merged, { k, devices: 1 });
    const reference = await pca(sample, { k, devices: 1 });
    model.explainedVariance.forEach((value, i) => expect(Math.abs(value / reference.explainedVariance[i] - 1)).toBeLessThan(1e-4));
    expect(minCos(model, reference)).toBeGreaterThan(0.9999);
  });

  it('pca of moments with center: false gives the components of XᵀX / (n − 1)', async () => {
    const moments = await Moments.of(sample, { devices: 1 });
    const direct = await pca(sample, { k, center: false, devices: 1 });
    const model = await pca(moments, { k, center: false, devices: 1 });
    expect(minCos(model, direct)).toBeGreaterThan(0.999999);
    // Within 1e-5: the direct fit sums the products of the raw rows (all near 3) in float32, the moments those of
    // the centred rows, adding n · mean meanᵀ in float64.
    model.explainedVariance.forEach((value, i) => expect(Math.abs(value / direct.explainedVariance[i] - 1)).toBeLessThan(1e-5));
    expect(Array.from(model.mean)).toEqual(new Array(d).fill(0));
  });

  it('refuses what it cannot merge, fit or read, saying what is wrong', async () => {
    const moments = await Moments.of(rows(0, 10), { devices: 1 });
    expect(() => moments.merge(new Moments(d + 1))).toThrow('cannot merge moments of d = 38 into moments of d = 37');
    expect(() => moments.merge({} as Moments)).toThrow(/merge needs Moments, got/);
    expect(() => Moments.merge([])).toThrow('Moments.merge needs a non-empty array of Moments, got an array of 0');
    expect(() => new Moments(0)).toThrow('d must be a positive integer, got 0');
    await expect(moments.partialFit({ data: new Float32Array(8), rows: 2, cols: 4 })).rejects.toThrow('X has 4 columns, but these moments are of d = 37');
    await expect(Moments.of(sample, 3 as never)).rejects.toThrow(/options must be an object like \{ devices: 2 \}, got 3/);
    await expect(Moments.of({ data: new Float32Array([1, NaN]), rows: 1, cols: 2 })).rejects.toThrow('X has a value that is not a number at row 0, column 1: NaN');
    await expect(pca(new Moments(d), { k })).rejects.toThrow('the moments have 0 rows; PCA needs at least 2');
    await expect(pca(moments, { k: 38 })).rejects.toThrow(/k = 38 is larger than d = 37/);
    await expect(pca(moments, { k: 11 })).rejects.toThrow('k = 11 is larger than the number of rows (10) the moments count');
    await expect(pca(moments, { k, solver: 'data' })).rejects.toThrow(/solver must be 'auto' or 'covariance', got "data"/);
    const constant = await Moments.of({ data: new Float32Array(5 * d).fill(2), rows: 5, cols: d }, { devices: 1 });
    expect(Array.from(constant.scatter).every((value) => value === 0)).toBe(true);
    await expect(pca(constant, { k })).rejects.toThrow('the moments have no variance: every row they count is the same');
  });

  it('fromJSON checks every field', async () => {
    const json = (await Moments.of(rows(0, 10), { devices: 1 })).toJSON();
    const broken = (change: Partial<Record<keyof MomentsJSON, unknown>>) => ({ ...json, ...change }) as MomentsJSON;
    expect(() => Moments.fromJSON({ ...json, format: 'eigengame-pca' } as never)).toThrow('Moments.fromJSON needs the output of Moments.prototype.toJSON()');
    expect(() => Moments.fromJSON(broken({ version: 2 }))).toThrow('unsupported moments version 2 (this version reads 1)');
    expect(() => Moments.fromJSON(broken({ d: 0 }))).toThrow('moments.d must be a positive integer, got 0');
    expect(() => Moments.fromJSON(broken({ n: -1 }))).toThrow('moments.n must be an integer ≥ 0, got -1');
    expect(() => Moments.fromJSON(broken({ mean: json.mean.slice(1) }))).toThrow('moments.mean must be an array of 37 numbers, got 36');
    expect(() => Moments.fromJSON(broken({ scatter: json.scatter.map((v, i) => (i === 40 ? null : v)) }))).toThrow('moments.scatter[40] must be a finite number, got null');
    expect(() => Moments.fromJSON(broken({ scatter: json.scatter.map((v, i) => (i === 0 ? -1 : v)) }))).toThrow(/diagonal entry 0 is negative/);
  });
});

describe('Moments.of with onProgress and signal', () => {
  const wide = { data: normals(3, 20000 * 40), rows: 20000, cols: 40 };

  it('reports each batch of its pass (rowsRead up to every row), in memory as from a source', async () => {
    const seen: Array<{ step: number; rowsRead?: number; epoch?: number }> = [];
    const moments = await Moments.of(wide, { devices: 1, onProgress: ({ step, rowsRead, epoch }) => seen.push({ step, rowsRead, epoch }) });
    expect(moments.n).toBe(20000);
    expect(seen.length).toBeGreaterThan(1);
    seen.forEach((report, i) => expect(report).toMatchObject({ step: i + 1, epoch: 1 }));
    for (let i = 1; i < seen.length; i++) expect(seen[i].rowsRead!).toBeGreaterThan(seen[i - 1].rowsRead!);
    expect(seen.at(-1)!.rowsRead).toBe(20000);
    const streamed: number[] = [];
    const source = new NpySource(chunkedStream(npyBytes(wide.data, 20000, 40), [65536]));
    await Moments.of(source, { devices: 1, batchSize: 5000, onProgress: ({ rowsRead }) => streamed.push(rowsRead!) });
    expect(streamed).toEqual([5000, 10000, 15000, 20000]);
  });

  it('an abort at its first report rejects with the signal’s reason, in memory and from a source', async () => {
    for (const input of [() => wide, () => new NpySource(npyBytes(wide.data, 20000, 40))]) {
      const controller = new AbortController();
      const reason = { aborted: 'at the first batch' };
      let reports = 0;
      const fit = Moments.of(input(), {
        devices: 1, batchSize: 5000, signal: controller.signal, onProgress: () => ++reports === 1 && controller.abort(reason),
      });
      await expect(fit).rejects.toBe(reason);
      expect(reports).toBe(1);
    }
  });
});
