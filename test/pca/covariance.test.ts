// The float64 pass (CovariancePass with 'float64' arithmetic: cca's, pls's and lda's covariance) on 1, 2 and 3
// devices and in this thread: the same bits on every layout, and the definition's values to float64's rounding, for
// data far from zero, batches that are not whole blocks and a last block of an odd number of rows.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import '../../src/entries/node';
import { Engine } from '../../src/devices/engine';
import { currentHost } from '../../src/hosts/host';
import { PLAY_SETTINGS } from '../../src/pca/core';
import { CovariancePass, deviationValues } from '../../src/pca/covariance';
import { fillOperator } from '../../src/pca/routes';
import { padToPanels } from '../../src/pca/pack';
import { stageSize } from '../../src/pca/stats';
import { expectSameBits } from '../helpers/bits';
import { turnsDuring } from '../helpers/event-loop';
import { normals } from '../helpers/random';

beforeEach(() => void vi.spyOn(currentHost(), 'hardwareThreads').mockReturnValue(8));
afterEach(() => vi.restoreAllMocks());

// d = 403: an in-thread job is cut into bands of C's rows (more than 2²⁴ products per block of 256 rows), 3 devices
// split C's rows at rows that are not multiples of the kernel's tiles; n = 1101 in batches of 512: blocks of 256,
// 256, 256, 256, 77.
const n = 1101;
const d = 403;
const batch = 512;
// Columns of different sizes around an offset of 1e6: block means and the merge of means carry the offset.
const x = Float64Array.from(normals(3, n * d), (value, i) => value * 10 ** ((i % d) % 3) + 1e6 + (i % d));

/**
 * The pass's sums (the upper triangle, row stride padded) on `devices` ready devices (a pass's first jobs run in this
 * thread while new workers start): float64 (the pencils' scatter) or float32 (pca's syrk over packed blocks).
 */
async function passSums(
  devices: number, center: boolean, arithmetic: 'float32' | 'float64' = 'float64', elements?: { start: number; end: number; from: number },
): Promise<{ sums: Float64Array; devices: number }> {
  const padded = padToPanels(d);
  const shape = arithmetic === 'float64'
    ? { d: padded, k: 1, rowCapacity: 1, dense: true, stage: stageSize(d), deviations: deviationValues(d, batch) }
    : { d: padded, k: 1, rowCapacity: Math.max(2 * batch, padded), play: true, dense: true, stage: stageSize(d) };
  const engine = await Engine.create(shape, PLAY_SETTINGS, { devices, workPerStep: 1 });
  try {
    await engine.ready();
    const pass = new CovariancePass(engine, d, batch, center, 'X', () => { throw new Error('not finite'); }, undefined, arithmetic, elements);
    for (let first = 0; first < n; first += batch) {
      const rows = Math.min(batch, n - first);
      await pass.add(rows, (offset, count, into) => into.set(x.subarray((first + offset) * d, (first + offset + count) * d)));
    }
    await pass.finish();
    const sums = engine.operator().sums.slice();
    return { sums: Float64Array.from({ length: d * d }, (_, i) => sums[Math.floor(i / d) * padded + (i % d)]), devices: engine.backend.devices };
  } finally {
    engine.dispose();
  }
}

/** Σ (x − m)(x − m)ᵀ (centred) or Σ x xᵀ, from exact means, in float64: the definition; and the means. */
function definition(center: boolean): { c: Float64Array; mean: Float64Array } {
  const mean = new Float64Array(d);
  if (center) {
    for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) mean[c] += x[r * d + c];
    mean.forEach((sum, c) => (mean[c] = sum / n));
  }
  const c = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) row[j] = x[r * d + j] - mean[j];
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) c[i * d + j] += row[i] * row[j];
  }
  return { c, mean };
}

describe('the float64 pass', () => {
  // pls's pass: the cross block only, rows [0, 170) and columns from 170 on.
  const cross = { start: 0, end: 170, from: 170 };
  it.each([
    [true, undefined], [false, undefined], [true, cross],
  ])('center %s, elements %j: the same bits on 1, 2 and 3 devices, the definition to float64\'s rounding', async (center, elements) => {
    const fits: { sums: Float64Array; devices: number }[] = [];
    for (const devices of [1, 2, 3]) fits.push(await passSums(devices, center, 'float64', elements));
    const summed = (i: number, j: number) => (elements ? i < elements.end && j >= elements.from : j >= i);
    expect(fits.map((fit) => fit.devices)).toEqual([1, 2, 3]);
    for (const fit of fits.slice(1)) expectSameBits(fit.sums, fits[0].sums, `C on ${fit.devices} devices`);
    const { c: expected, mean } = definition(center);
    // Float64's rounding of the sums (sums of ~1100 products: 1e-13 of the terms' scale √(C_ii C_jj)), plus that of
    // the means: centred, each block's mean and the mean of all rows are rounded at the data's offset (an error
    // ε_c ≤ 2⁻⁵² |mean_c| each), which the blocks' means' correction Σ_b n_b (m_b − m)(m_b − m)ᵀ carries at most as
    // 2 Σ_b n_b (|m_b − m|_i ε_j + |m_b − m|_j ε_i) ≤ 2 (√(n C_ii) ε_j + √(n C_jj) ε_i) (Cauchy–Schwarz, and the
    // blocks' means scatter less than the rows).
    const epsilon = (c: number) => 2 ** -52 * Math.abs(mean[c]);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const got = fits[0].sums[i * d + j];
        if (!summed(i, j)) {
          if (got !== 0) expect.fail(`C[${i}][${j}] = ${got}, outside the elements summed`);
          continue;
        }
        const [cii, cjj] = [expected[i * d + i], expected[j * d + j]];
        const bound = 1e-13 * Math.sqrt(cii * cjj) + 2 * (Math.sqrt(n * cii) * epsilon(j) + Math.sqrt(n * cjj) * epsilon(i));
        if (Math.abs(got - expected[i * d + j]) > bound) expect.fail(`C[${i}][${j}] = ${got}, expected ${expected[i * d + j]} ± ${bound}`);
      }
    }
  }, 120_000);
});

describe('the float64 pass on one in-thread device', () => {
  it('gives the event loop its turns within a block of rows (d = 4000: 2e9 products per block of 256)', async () => {
    const wide = 4000;
    const rows = 256;
    const values = Float64Array.from(normals(7, rows * wide));
    const engine = await Engine.create(
      { d: wide, k: 1, rowCapacity: 1, dense: true, stage: stageSize(wide), deviations: deviationValues(wide, rows) },
      PLAY_SETTINGS, { devices: 1, workPerStep: 1 },
    );
    try {
      const pass = new CovariancePass(engine, wide, rows, true, 'X', () => { throw new Error('not finite'); }, undefined, 'float64');
      const probe = await turnsDuring(async () => {
        await pass.add(rows, (offset, count, into) => into.set(values.subarray(offset * wide, (offset + count) * wide)));
        await pass.finish();
      });
      expect(probe.outcome).toEqual({ value: undefined });
      // Measured here: the block takes 0.2–0.6 s, in parts of 2²⁴ products (1–3 ms each), a turn every ~50 ms. The
      // bound is 5 cadences, room for a machine 5× slower than this one; the block whole, without a turn, is longer.
      expect(probe.longestGap).toBeLessThan(250);
    } finally {
      engine.dispose();
    }
  }, 60_000);
});

describe('the float32 pass', () => {
  it.each([true, false])('center %s: the same bits on 1, 2 and 3 devices taking chunks of C\'s panels, the definition to float32\'s rounding', async (center) => {
    const fits: { sums: Float64Array; devices: number }[] = [];
    for (const devices of [1, 2, 3]) fits.push(await passSums(devices, center, 'float32'));
    expect(fits.map((fit) => fit.devices)).toEqual([1, 2, 3]);
    for (const fit of fits.slice(1)) expectSameBits(fit.sums, fits[0].sums, `C on ${fit.devices} devices`);
    const { c: expected } = definition(center);
    // Each block's rows are rounded to float32 once after centring at the block's own mean (not centred: as they
    // are), and summed in float32 over a block of 256 rows: an error of ~1e-6 of the terms' scale √(C_ii C_jj) (of
    // the values' squares, not centred; C_ii is then their sum of squares too). A chunk summed twice, or missed,
    // is off by its whole value.
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const got = fits[0].sums[i * d + j];
        const bound = 1e-5 * Math.sqrt(expected[i * d + i] * expected[j * d + j]);
        if (!(Math.abs(got - expected[i * d + j]) <= bound)) expect.fail(`C[${i}][${j}] = ${got}, expected ${expected[i * d + j]} ± ${bound}`);
      }
    }
  }, 120_000);
});

describe('the float32 operator from the sums', () => {
  it('is written by 1, 2 and 3 ready devices, each a band of rows, with the bits of factor × the upper triangle', async () => {
    const order = 203;
    const sums = Float64Array.from(normals(11, order * order), (value, i) => (Math.floor(i / order) <= i % order ? value * 1e3 : NaN));
    const matrices: Float32Array[] = [];
    for (const devices of [1, 2, 3]) {
      const engine = await Engine.create({ d: order, k: 1, rowCapacity: 1, dense: true }, PLAY_SETTINGS, { devices, workPerStep: 1 });
      try {
        await engine.ready();
        expect(engine.backend.devices).toBe(devices);
        engine.operator().sums.set(sums);
        const scale = await fillOperator(engine, 7);
        matrices.push(engine.operator().matrix.slice(0, order * order));
        const factor = scale / 7;
        for (let i = 0; i < order; i++) {
          for (let j = 0; j < order; j++) {
            const expected = Math.fround(sums[Math.min(i, j) * order + Math.max(i, j)] * factor);
            if (matrices.at(-1)![i * order + j] !== expected) expect.fail(`[${i}, ${j}] on ${devices} devices: ${matrices.at(-1)![i * order + j]}, expected ${expected}`);
          }
        }
      } finally {
        engine.dispose();
      }
    }
    expect(matrices[1]).toEqual(matrices[0]);
    expect(matrices[2]).toEqual(matrices[0]);
  }, 60_000);
});
