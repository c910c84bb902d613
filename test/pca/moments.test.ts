// Moments: the covariance route's state as a public object. Checked against a float64 two-pass scatter of the same
// rows (the definition), shards merged against one pass over the whole, fixed-order merges and JSON to the bit,
// sources in one pass, data far from zero, and every bad input.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Moments, NpySource, cca, lda, pca, subspaceDistance, type MomentsJSON, type PCAModel } from '../../src/entries/node';
import { Rng } from '../../src/math/rng';
import { MAX_JSON_D, MAX_STRING_LENGTH } from '../../src/pca/moments';
import { gappedSpectrum } from '../../scripts/planted.mjs';
import { chunkedStream, npyBytes } from '../helpers/npy';
import { leastAbsCos, uncentredEigen } from '../helpers/reference';
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

  it('slices of one .npy file (NpySource rows) are the shards\' moments to the bit; merged in order, the whole file\'s', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'eigengame-moments-'));
    const whole = join(directory, 'whole.npy');
    writeFileSync(whole, npyBytes(sample.data, n, d));
    const options = { devices: 1, batchSize: 300 } as const;
    const sliced: Moments[] = [];
    const separate: Moments[] = [];
    for (let s = 0; s + 1 < CUTS.length; s++) {
      const [first, last] = [CUTS[s], CUTS[s + 1]];
      const own = join(directory, `shard-${s}.npy`);
      writeFileSync(own, npyBytes(sample.data.subarray(first * d, last * d), last - first, d));
      sliced.push(await Moments.of(new NpySource(whole, { rows: [first, last] }), options));
      separate.push(await Moments.of(new NpySource(own), options));
      expect(bitsOf(sliced[s])).toEqual(bitsOf(separate[s]));
    }
    const merged = Moments.merge(sliced);
    expect(bitsOf(merged)).toEqual(bitsOf(Moments.merge(separate)));
    const single = await Moments.of(new NpySource(whole), options);
    expect(merged.n).toBe(single.n);
    merged.mean.forEach((value, c) => expect(Math.abs(value - single.mean[c])).toBeLessThan(1e-13 * Math.abs(exact.mean[c])));
    expect(scatterError(merged.scatter, single.scatter)).toBeLessThan(1e-6);
    expect(scatterError(merged.scatter, exact.scatter)).toBeLessThan(1e-6);
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

  it('pca of moments with center: false gives the float64 eigenpairs of XᵀX / (n − 1)', async () => {
    const moments = await Moments.of(sample, { devices: 1 });
    const model = await pca(moments, { k, center: false, devices: 1 });
    const reference = uncentredEigen(sample.data, n, d);
    // Measured at the default tol (each residual within 1e-6 of λ₁): 1 − |cos| 1.6e-7, subspace distance 9.0e-8,
    // variances and their ratios 1.3e-6 relative (the residuals, and the scatter's float32 products of centred rows);
    // the bounds are about 10× those.
    expect(1 - leastAbsCos(model.components, reference.vectors, k, d)).toBeLessThan(2e-6);
    expect(subspaceDistance({ data: model.components, rows: k, cols: d }, { data: reference.vectors.subarray(0, k * d), rows: k, cols: d })).toBeLessThan(1e-6);
    model.explainedVariance.forEach((value, i) => expect(Math.abs(value / reference.values[i] - 1)).toBeLessThan(2e-5));
    model.explainedVarianceRatio.forEach((value, i) => expect(Math.abs(value / (reference.values[i] / reference.total) - 1)).toBeLessThan(2e-5));
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
    expect(() => Moments.fromJSON(broken({ scatter: json.scatter.map((v, i) => (i === 0 ? -1 : v)) }))).toThrow(
      "moments.scatter[0][0] is -1: a scatter's diagonal is a sum of squares, never negative",
    );
  });
});

/** Moments of d columns from `bits` rows of a seeded generator (an exact float64 scatter) with awkward values mixed in. */
function awkwardMoments(width: number, count: number): Moments {
  const rng = Rng.fromSeed(width);
  const moments = new Moments(width);
  moments.n = count;
  for (let c = 0; c < width; c++) moments.mean[c] = c % 3 === 0 ? -0 : rng.nextNormal() * 10 ** (c % 40 - 20);
  for (let i = 0; i < width; i++) moments.scatter[i * width + i] = i === 1 ? 5e-324 : (1 + rng.nextNormal() ** 2) * 1e10;
  for (let i = 0; i < width; i++) {
    for (let j = i + 1; j < width; j++) {
      const bound = Math.sqrt(moments.scatter[i * width + i]) * Math.sqrt(moments.scatter[j * width + j]);
      const value = (i + j) % 7 === 0 ? -0 : bound * Math.tanh(rng.nextNormal()) * 0.5;
      moments.scatter[i * width + j] = moments.scatter[j * width + i] = value;
    }
  }
  return moments;
}

/** The bytes of a Float64Array (bit-exact comparisons: -0 and 0 differ). */
const bytesOf = (values: Float64Array) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

function expectSameBits(found: Moments, expected: Moments): void {
  expect(found.d).toBe(expected.d);
  expect(Object.is(found.n, expected.n)).toBe(true);
  expect(Buffer.compare(bytesOf(found.mean), bytesOf(expected.mean))).toBe(0);
  expect(Buffer.compare(bytesOf(found.scatter), bytesOf(expected.scatter))).toBe(0);
}

describe('Moments as bytes', { timeout: 60_000 }, () => {
  it('round-trip bit for bit: moments of rows, and awkward values (-0, subnormals, 1e±20) at d = 1, 37 and 1500', async () => {
    const measured = await Moments.of(sample, { devices: 1 });
    expectSameBits(Moments.fromBytes(measured.toBytes()), measured);
    for (const width of [1, 37, 1500]) {
      const moments = awkwardMoments(width, 1e12 + 1);
      const bytes = moments.toBytes();
      expect(bytes.length).toBe(24 + 8 * (width + (width * (width + 1)) / 2));
      expectSameBits(Moments.fromBytes(bytes), moments);
      // An ArrayBuffer, and bytes at an odd offset of a larger buffer (as a file's slice may be), read alike.
      expectSameBits(Moments.fromBytes(bytes.slice().buffer), moments);
      const shifted = new Uint8Array(bytes.length + 3);
      shifted.set(bytes, 3);
      expectSameBits(Moments.fromBytes(shifted.subarray(3)), moments);
    }
  });

  it('are little-endian with the documented header', () => {
    const moments = new Moments(2);
    moments.n = 3;
    moments.mean.set([1.5, -2]);
    moments.scatter.set([4, 1, 1, 9]);
    const bytes = moments.toBytes();
    const view = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('EGMOMENT');
    expect([view.getUint32(8, true), view.getUint32(12, true), view.getFloat64(16, true)]).toEqual([1, 2, 3]);
    expect(Array.from({ length: 5 }, (_, i) => view.getFloat64(24 + 8 * i, true))).toEqual([1.5, -2, 4, 1, 9]);
  });

  it('refuse bytes from a stranger, naming the byte offset', () => {
    const good = awkwardMoments(4, 100).toBytes();
    const changed = (change: (view: DataView) => void) => {
      const bytes = good.slice();
      change(new DataView(bytes.buffer));
      return bytes;
    };
    expect(() => Moments.fromBytes(good.subarray(0, 10))).toThrow('Moments.fromBytes: 10 bytes, fewer than the 24-byte header (the bytes are cut short)');
    expect(() => Moments.fromBytes(good.subarray(0, good.length - 1))).toThrow(
      `Moments.fromBytes: d = 4 (byte offset 12) needs ${good.length} bytes, but there are ${good.length - 1}: the bytes are cut short`,
    );
    const longer = new Uint8Array(good.length + 8);
    longer.set(good);
    expect(() => Moments.fromBytes(longer)).toThrow(/needs 136 bytes, but there are 144: bytes follow the last value/);
    expect(() => Moments.fromBytes(changed((view) => view.setUint8(0, 0x46)))).toThrow('bytes 0–7 are not "EGMOMENT"');
    expect(() => Moments.fromBytes(changed((view) => view.setUint32(8, 2, true)))).toThrow('unsupported version 2 at byte offset 8 (this version reads 1)');
    expect(() => Moments.fromBytes(changed((view) => view.setUint32(8, 1, false)))).toThrow('unsupported version 16777216 at byte offset 8');
    // A huge declared d is refused from the length alone, before anything is allocated.
    expect(() => Moments.fromBytes(changed((view) => view.setUint32(12, 0xffffffff, true)))).toThrow(/d = 4294967295 \(byte offset 12\) needs 73786976312018080000 bytes, but there are 136/);
    expect(() => Moments.fromBytes(changed((view) => view.setUint32(12, 0, true)))).toThrow('d is 0 at byte offset 12');
    expect(() => Moments.fromBytes(changed((view) => view.setFloat64(16, -1, true)))).toThrow('n at byte offset 16 must be an integer ≥ 0, got -1');
    expect(() => Moments.fromBytes(changed((view) => view.setFloat64(16, 2.5, true)))).toThrow('n at byte offset 16 must be an integer ≥ 0, got 2.5');
    expect(() => Moments.fromBytes(changed((view) => view.setFloat64(24 + 8 * 2, NaN, true)))).toThrow('mean[2] at byte offset 40 is NaN');
    // The triangle starts after 4 means (byte 56): row 0 holds scatter[0][0..3], row 1 starts at scatter[1][1] (byte 88).
    expect(() => Moments.fromBytes(changed((view) => view.setFloat64(88 + 8, Infinity, true)))).toThrow('scatter[1][2] at byte offset 96 is Infinity');
    expect(() => Moments.fromBytes(changed((view) => view.setFloat64(56 + 8, 1e40, true)))).toThrow(/moments\.scatter\[0\]\[1\] is 1e\+40, larger in magnitude than √\(scatter\[0\]\[0\] · scatter\[1\]\[1\]\)/);
    expect(() => Moments.fromBytes(changed((view) => view.setFloat64(56, -3, true)))).toThrow("moments.scatter[0][0] is -3: a scatter's diagonal is a sum of squares");
    expect(() => Moments.fromBytes('EGMOMENT' as never)).toThrow('Moments.fromBytes needs a Uint8Array or an ArrayBuffer, got');
  });
});

describe('Moments no data can have', { timeout: 60_000 }, () => {
  const json = (scatter: number[], n = 10): MomentsJSON => ({ format: 'eigengame-moments', version: 1, n, d: 3, mean: [0, 0, 0], scatter });

  it('fromJSON refuses non-finite values, |sᵢⱼ| > √(sᵢᵢ sⱼⱼ), and a scatter with fewer than 2 rows', () => {
    expect(() => Moments.fromJSON(json([1, 1e40, 0, 1, 0, 1]))).toThrow(
      'moments.scatter[0][1] is 1e+40, larger in magnitude than √(scatter[0][0] · scatter[1][1]) = 1: no data has such a scatter (|sᵢⱼ| ≤ √(sᵢᵢ sⱼⱼ))',
    );
    expect(() => Moments.fromJSON({ ...json([1, 0, 0, 1, 0, 1]), mean: [0, NaN, 0] })).toThrow('moments.mean[1] must be a finite number, got NaN');
    expect(() => Moments.fromJSON(json([1, 0, 0, 1, 0, 1], 1))).toThrow('moments.scatter[0][0] is 1, but the moments count 1 row: fewer than 2 rows have no scatter');
    expect(() => Moments.fromJSON(json([1, 0, 0, 1, 0, 1], 2.5))).toThrow('moments.n must be an integer ≥ 0, got 2.5');
  });

  it('a fit refuses moments changed in place (NaN, asymmetry, 1e40, n, shapes)', async () => {
    const fresh = () => Moments.fromJSON(json([2, 0.5, 0.1, 3, 0.2, 4]));
    const changed = (change: (moments: Moments) => void) => {
      const moments = fresh();
      change(moments);
      return moments;
    };
    await expect(pca(changed((m) => (m.scatter[4] = NaN)), { k: 1, devices: 1 })).rejects.toThrow('the moments.scatter[1][1] is NaN; it must be a finite number');
    await expect(pca(changed((m) => (m.scatter[1] = 0.7)), { k: 1, devices: 1 })).rejects.toThrow(
      'the moments.scatter is not symmetric: scatter[0][1] is 0.7 but scatter[1][0] is 0.5',
    );
    await expect(pca(changed((m) => (m.scatter[1] = m.scatter[3] = 1e40)), { k: 1, devices: 1 })).rejects.toThrow(/the moments\.scatter\[0\]\[1\] is 1e\+40/);
    await expect(pca(changed((m) => (m.n = NaN)), { k: 1, devices: 1 })).rejects.toThrow('the moments.n must be an integer ≥ 0, got NaN');
    await expect(pca(changed((m) => ((m as { mean: Float64Array }).mean = new Float64Array(2))), { k: 1, devices: 1 })).rejects.toThrow(
      'the moments.mean must be a Float64Array of d = 3 values',
    );
    await expect(cca(changed((m) => (m.mean[2] = Infinity)), { x: [0], y: [1, 2], k: 1, devices: 1 })).rejects.toThrow('the moments.mean[2] is Infinity');
    const parts = [fresh(), changed((m) => (m.scatter[2] = m.scatter[6] = -1e40))];
    await expect(lda(parts, ['a', 'b'], { k: 1, devices: 1 })).rejects.toThrow(/the Moments of class "b"\.scatter\[0\]\[2\] is -1e\+40/);
    expect(() => Moments.merge([fresh(), changed((m) => (m.scatter[0] = -1))])).toThrow("the merged moments.scatter[0][0] is -1");
  });

  // Pairwise correlations of -0.9 between three columns: every |sᵢⱼ| ≤ √(sᵢᵢ sⱼⱼ), but the eigenvalues are 1.9, 1.9
  // and -0.8. No data has this scatter; the fits refuse what it gives instead of clamping it into a converged model.
  const notSemidefinite = () => Moments.fromJSON(json([1, -0.9, -0.9, 1, -0.9, 1]));

  it('pca refuses a negative variance or variances adding up past the total', async () => {
    await expect(pca(notSemidefinite(), { k: 3, devices: 1 })).rejects.toThrow(
      /pca found a negative variance, -0\.08\d*, along component 2: the moments' scatter is not positive semidefinite/,
    );
    await expect(pca(notSemidefinite(), { k: 2, devices: 1 })).rejects.toThrow(
      /pca found components whose variances add up to 0\.42\d*, more than the total variance 0\.33\d*: the moments' scatter is not positive semidefinite/,
    );
  });

  it('cca refuses a canonical correlation above 1', async () => {
    await expect(cca(notSemidefinite(), { x: [0], y: [1, 2], k: 1, devices: 1 })).rejects.toThrow(
      /cca found a canonical correlation of 4\.0\d* \(pair 0\), which no data gives: the moments' scatter is not positive semidefinite/,
    );
  });
});

describe('Moments too wide for JSON', () => {
  it('the limit: the widest JSON of worst-case numbers fits V8\'s longest string, one column more may not', () => {
    const text = (width: number) => 25 * (width + (width * (width + 1)) / 2) + 200;
    expect(text(MAX_JSON_D)).toBeLessThanOrEqual(MAX_STRING_LENGTH);
    expect(text(MAX_JSON_D + 1)).toBeGreaterThan(MAX_STRING_LENGTH);
    expect(MAX_JSON_D).toBe(6552);
    // 25 characters is the most a value takes: the longest float64 texts, with their commas.
    const worst = new Moments(3);
    worst.n = 2 ** 53 - 1;
    worst.mean.set([-2.2250738585072014e-308, -1.2345678901234567e-100, -0.00012345678901234567]);
    worst.scatter.set([1.7976931348623157e308, -1.2345678901234567e-300, 0, -1.2345678901234567e-300, 1.2345678901234567e100, 0, 0, 0, 1]);
    const values = [...worst.toJSON().mean, ...worst.toJSON().scatter];
    for (const value of values) expect(`${JSON.stringify(value)},`.length).toBeLessThanOrEqual(25);
  });

  it('toJSON and JSON.stringify refuse past the limit, naming it and the binary form; fromJSON refuses a wider d', () => {
    // A stand-in of that width: the check comes before anything is read, and real moments of d = 6553 take 344 MB.
    const wide = Object.create(Moments.prototype, { d: { value: MAX_JSON_D + 1 } }) as Moments;
    const message = `moments of d = 6553 are too wide for JSON: their text may exceed 536870888 characters, the longest string V8 holds, so Moments hold JSON up to d = 6552; use moments.toBytes() and Moments.fromBytes(bytes), which hold any d exactly`;
    expect(() => wide.toJSON()).toThrow(message);
    expect(() => JSON.stringify(wide)).toThrow(message);
    expect(() => Moments.fromJSON({ format: 'eigengame-moments', version: 1, n: 2, d: 6553, mean: [], scatter: [] })).toThrow(
      'moments.d is 6553, more than JSON holds (d ≤ 6552): such moments travel as bytes (Moments.fromBytes)',
    );
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
