// pca's routes on data like users' data, each against the truth: planted spectra with known eigenvectors (power-law
// with k = 64, slowly falling), a wide matrix (d ≫ n) against a float64 Jacobi eigensolver of its Gram matrix, values
// far from zero (1e7, Unix timestamps near 1.7e9), a 3,000,000-row one-shot stream; and the same bits on 1–4
// devices for every route.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Moments, NpySource, pca, subspaceDistance, type PCAModel, type PCAOptions } from '../../src/entries/node';
import { currentHost } from '../../src/hosts/host';
import { encodeNpyHeader } from '../../src/io/npy';
import { plantedData } from '../../scripts/planted.mjs';
import { expectSameBits } from '../helpers/bits';
import { chunkedStream, npyBytes } from '../helpers/npy';
import { orthonormalRows } from '../helpers/pencil-reference';
import { jacobiEigen } from '../helpers/reference';
import { normals } from '../helpers/random';
import { turnsDuring } from '../helpers/event-loop';
import { Engine } from '../../src/devices/engine';
import { readMatrix } from '../../src/io/matrix';
import { PLAY_SETTINGS } from '../../src/pca/core';
import { Stager, matrixMoments, packMatrix } from '../../src/pca/pack';
import { stageSize } from '../../src/pca/stats';

interface Truth {
  /** k × d rows. */
  vectors: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** Every component |cos| ≥ `cos`, subspace distance ≤ `distance`, variances within `variance` relative. */
function expectTruth(model: PCAModel, truth: Truth, { cos = 0.999, distance = 1e-6, variance = 1e-4 } = {}): void {
  const { k, d } = model;
  for (let i = 0; i < k; i++) {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += model.components[i * d + c] * truth.vectors[i * d + c];
    if (!(Math.abs(dot) >= cos)) expect.fail(`component ${i}: |cos| = ${Math.abs(dot)}`);
    const error = Math.abs(model.explainedVariance[i] / truth.values[i] - 1);
    if (!(error <= variance)) expect.fail(`component ${i}: variance ${model.explainedVariance[i]}, truth ${truth.values[i]}`);
  }
  const found = subspaceDistance({ data: model.components, rows: k, cols: d }, { data: Float64Array.from(truth.vectors), rows: k, cols: d });
  expect(found).toBeLessThanOrEqual(distance);
}

/** Planted n × d data (float64) with the given spectrum: the truth is its eigenvectors and the spectrum. */
function planted(n: number, d: number, spectrum: Float64Array, k: number, seed: number, shift = 0) {
  const data = plantedData({ n, d, spectrum, seed });
  if (shift !== 0) for (let i = 0; i < data.data.length; i++) data.data[i] += shift;
  return { X: { data: data.data, rows: n, cols: d }, truth: { vectors: data.eigenvectors.subarray(0, k * d), values: spectrum.subarray(0, k) } };
}

const powerLaw = (d: number) => Float64Array.from({ length: d }, (_, i) => 1 / (i + 1));
const slowlyFalling = (d: number) => Float64Array.from({ length: d }, (_, j) => (1 + 10 / (j + 1)) ** 2);

/**
 * n × d (n < d) rows with a falling spectrum of rank 60 plus noise, and the truth from a float64 Jacobi
 * eigendecomposition of their centred Gram matrix (components Xᵀu / ‖Xᵀu‖, variances θ / (n − 1)).
 */
function wide(n: number, d: number, k: number, shift = 0) {
  const rank = 60;
  const scores = normals(5, n * rank);
  const basis = normals(6, rank * d, 1 / Math.sqrt(d));
  const noise = normals(7, n * d, 0.01);
  const values = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < rank; j++) {
      const weight = scores[r * rank + j] * 0.9 ** j;
      for (let c = 0; c < d; c++) values[r * d + c] += weight * basis[j * d + c];
    }
  }
  for (let i = 0; i < values.length; i++) values[i] += noise[i];
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) mean[c] += values[r * d + c] / n;
  const centred = values.map((value, i) => value - mean[i % d]);
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b <= a; b++) {
      let sum = 0;
      for (let c = 0; c < d; c++) sum += centred[a * d + c] * centred[b * d + c];
      gram[a * n + b] = gram[b * n + a] = sum;
    }
  }
  const eigen = jacobiEigen(gram, n);
  const vectors = new Float64Array(k * d);
  for (let i = 0; i < k; i++) {
    const row = vectors.subarray(i * d, (i + 1) * d);
    for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) row[c] += eigen.vectors[i * n + r] * centred[r * d + c];
    const norm = Math.hypot(...row);
    for (let c = 0; c < d; c++) row[c] /= norm;
  }
  const data = shift === 0 ? Float32Array.from(values) : values.map((value) => value + shift);
  return { X: { data, rows: n, cols: d }, truth: { vectors, values: eigen.values.subarray(0, k).map((value) => value / (n - 1)) } };
}

describe('pca on data like users’ data, against the truth', { timeout: 120_000 }, () => {
  it('a power-law spectrum (λᵢ ∝ 1/i) with k = 64: the covariance route, and the data route when forced', async () => {
    const { X, truth } = planted(3000, 256, powerLaw(256), 64, 21);
    const model = await pca(X, { k: 64 });
    expect(model.solver).toBe('covariance');
    expect(model.passes).toBe(1);
    expectTruth(model, truth);
    const onData = await pca(X, { k: 64, solver: 'data' });
    expect(onData.solver).toBe('data');
    expect(onData.passes).toBe(2 + onData.rounds!);
    expectTruth(onData, truth);
  });

  it('independent columns with slowly falling variances (1 + 10/(j+1))², k = 10', async () => {
    const { X, truth } = planted(6000, 300, slowlyFalling(300), 10, 22);
    expectTruth(await pca(X, { k: 10 }), truth);
  });

  it('d ≫ n takes the Gram route: the truth of a float64 eigensolver', async () => {
    const { X, truth } = wide(150, 2500, 10);
    const model = await pca(X, { k: 10 });
    expect(model.solver).toBe('gram');
    expectTruth(model, truth);
  });

  for (const shift of [1e7, 1.7e9]) {
    it(`values shifted by ${shift} (float64): the unshifted variances (1e-4) and components (|cos| ≥ 0.9999) on every route`, async () => {
      const { X, truth } = planted(3000, 40, slowlyFalling(40), 5, 23, shift);
      const bar = { cos: 0.9999, distance: 1e-6, variance: 1e-4 };
      for (const solver of ['covariance', 'data'] as const) {
        const model = await pca(X, { k: 5, solver });
        expect(model.solver).toBe(solver);
        expectTruth(model, truth, bar);
      }
      const file = npyBytes(X.data, X.rows, X.cols, 'float64');
      expectTruth(await pca(new NpySource(file), { k: 5, batchSize: 700 }), truth, bar);
      expectTruth(await pca(new NpySource(chunkedStream(file, [9999])), { k: 5, batchSize: 700 }), truth, bar);
      expectTruth(await pca(new NpySource(file), { k: 5, batchSize: 700, solver: 'data' }), truth, bar);
      const shiftedWide = wide(120, 1500, 6, shift);
      const model = await pca(shiftedWide.X, { k: 6 });
      expect(model.solver).toBe('gram');
      expectTruth(model, shiftedWide.truth, bar);
    });
  }
});

describe('blocks of very different magnitudes', { timeout: 60_000 }, () => {
  it('rows of zeros, then values near 1e25: each block at its own scale, in memory and streamed, the float64 answer', async () => {
    const n = 2000;
    const d = 6;
    const data = new Float64Array(n * d);
    for (let r = 300; r < n; r++) {
      for (let c = 0; c < d; c++) data[r * d + c] = 1e25 * (Math.sin(r * (c + 1) * 0.37) + (c === 0 ? 3 * Math.cos(r) : 0));
    }
    const mean = new Float64Array(d);
    for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) mean[c] += data[r * d + c] / n;
    const covariance = new Float64Array(d * d);
    for (let r = 0; r < n; r++) {
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) covariance[a * d + b] += ((data[r * d + a] - mean[a]) * (data[r * d + b] - mean[b])) / (n - 1);
    }
    const exact = jacobiEigen(covariance, d);
    const truth = { vectors: exact.vectors.subarray(0, 2 * d), values: exact.values.subarray(0, 2) };
    const bar = { cos: 0.9999, distance: 1e-6, variance: 1e-4 };
    expectTruth(await pca({ data, rows: n, cols: d }, { k: 2 }), truth, bar);
    expectTruth(await pca(new NpySource(chunkedStream(npyBytes(data, n, d, 'float64'), [5000])), { k: 2, batchSize: 512 }), truth, bar);
  });
});

describe('a one-shot stream of 3,000,000 rows', { timeout: 120_000 }, () => {
  it('is read to its last row, in one pass, with exact means and variances', async () => {
    const rows = 3_000_000;
    const d = 4;
    const header = encodeNpyHeader('float32', rows, d);
    // Welford's float64 moments (mean and co-moments) of exactly the values streamed, as they are made.
    const mean = new Float64Array(d);
    const scatter = new Float64Array(d * d);
    const delta = new Float64Array(d);
    let made = 0;
    const rowsPerChunk = 65536;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(header);
      },
      pull(controller) {
        if (made === rows) {
          controller.close();
          return;
        }
        const count = Math.min(rowsPerChunk, rows - made);
        const values = new Float32Array(count * d);
        for (let r = 0; r < count; r++) {
          const t = made + r;
          const row = [1000 + Math.sin(t * 0.001) * 3, Math.cos(t * 0.37), ((t * 7919) % 1000) / 1000, Math.sin(t * 0.001) + 0.1 * Math.cos(t)];
          const seen = made + r + 1;
          for (let c = 0; c < d; c++) {
            values[r * d + c] = row[c];
            delta[c] = values[r * d + c] - mean[c];
            mean[c] += delta[c] / seen;
          }
          for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) scatter[a * d + b] += delta[a] * (values[r * d + b] - mean[b]);
        }
        made += count;
        controller.enqueue(new Uint8Array(values.buffer));
      },
    });
    const model = await pca(new NpySource(stream), { k: 2 });
    expect(made).toBe(rows);
    expect(model.nSamples).toBe(rows);
    expect(model.passes).toBe(1);
    expect(model.converged).toBe(true);
    model.mean.forEach((value, c) => expect(Math.abs(value - mean[c])).toBeLessThan(1e-9 * (1 + Math.abs(mean[c]))));
    const exact = jacobiEigen(scatter.map((value) => value / (rows - 1)), d);
    model.explainedVariance.forEach((value, i) => expect(Math.abs(value / exact.values[i] - 1)).toBeLessThan(1e-6));
  });
});

describe('the same bits on 1–4 devices, every route', { timeout: 120_000 }, () => {
  // Devices are capped at the host's hardware threads: run as on a host with 8. The fits on 3 and 4 devices need new
  // workers, so their first batches are summed in this thread while those start (Engine.run's whileStarting): the
  // same bits are asked of that path too.
  beforeEach(() => void vi.spyOn(currentHost(), 'hardwareThreads').mockReturnValue(8));
  afterEach(() => vi.restoreAllMocks());

  const tall = planted(2500, 72, powerLaw(72), 6, 24).X;
  const narrow = wide(90, 700, 5).X;
  const file = npyBytes(tall.data, tall.rows, tall.cols);
  const fits: [string, (devices: number) => Promise<PCAModel>][] = [
    ['covariance', (devices) => pca(tall, { k: 6, devices })],
    ['data', (devices) => pca(tall, { k: 6, devices, solver: 'data' })],
    ['gram', (devices) => pca(narrow, { k: 5, devices })],
    ['a file, covariance', (devices) => pca(new NpySource(file), { k: 6, devices, batchSize: 300 })],
    ['a file, data', (devices) => pca(new NpySource(file), { k: 6, devices, batchSize: 300, solver: 'data' })],
    ['moments', async (devices) => pca(await Moments.of(tall, { devices }), { k: 6, devices } satisfies PCAOptions)],
  ];
  it('a pass starts from zero sums: on a new engine (left untouched), and on one whose sums were written', async () => {
    const create = () => Engine.create({ d: 16, k: 2, rowCapacity: 16, play: true, dense: true, stage: stageSize(16) }, PLAY_SETTINGS, { devices: 1, workPerStep: 1 });
    const throughOperator = await create();
    try {
      throughOperator.clearOperatorSums();
      expect(throughOperator.operator().sums.every((value) => value === 0)).toBe(true);
      throughOperator.operator().sums.fill(7);
      throughOperator.clearOperatorSums();
      expect(throughOperator.operator().sums.every((value) => value === 0)).toBe(true);
    } finally {
      throughOperator.dispose();
    }
    // Anything handed the memory may have written the sums.
    const throughMemory = await create();
    try {
      const { memory, plan } = throughMemory.hostKernels();
      new Float64Array(memory.buffer, plan.operator!.sums, 16 * 16).fill(7);
      throughMemory.clearOperatorSums();
      expect(throughMemory.operator().sums.every((value) => value === 0)).toBe(true);
    } finally {
      throughMemory.dispose();
    }
  });

  it('float32 rows in memory, staged as they are (the covariance route), give the bits of the same values in float64', async () => {
    const values = Float32Array.from(tall.data);
    const models = [];
    for (const data of [values, Float64Array.from(values)]) models.push(await pca({ data, rows: tall.rows, cols: tall.cols }, { k: 6, devices: 1 }));
    expect(models[0].solver).toBe('covariance');
    expectSameBits(models[0].components, models[1].components, 'float32 and float64 input: components');
    expectSameBits(models[0].explainedVariance, models[1].explainedVariance, 'float32 and float64 input: variances');
    expectSameBits(models[0].mean, models[1].mean, 'float32 and float64 input: means');
  });

  for (const [route, fit] of fits) {
    it(route, async () => {
      const models = [];
      for (const devices of [1, 2, 3, 4]) models.push(await fit(devices));
      expect(models.map((model) => model.backend?.devices)).toEqual([1, 2, 3, 4]);
      for (const model of models.slice(1)) {
        expectSameBits(model.components, models[0].components, `${route}, ${model.backend?.devices} devices: components`);
        expectSameBits(model.explainedVariance, models[0].explainedVariance, `${route}, ${model.backend?.devices} devices: variances`);
      }
    });
  }
});

describe('k above the rank of float32 data far from zero', () => {
  // Rank 5 plus 1e6, stored as float32: beyond the rank, the data's own rounding (its ulp is 1/16) leaves eigenvalues
  // of about 3e-4, tied within 3e-8 of the largest. The first 5 components are unique; the rest are any basis of
  // that rounding, which no float32 product can order. Their residuals are as small as the rest: the fit converges
  // (no top-k span is unique, but every pair is an eigenpair to tol), soon, and gets the 5 right.
  it('converges within 100 rounds, and the components within the rank are right', async () => {
    const [rows, cols, rank] = [20000, 300, 5];
    // Uniform scores and basis from a fixed LCG (with normal ones the tail happens to be resolvable and tol is met).
    let state = 7;
    const uniform = () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x7fffffff - 0.5;
    };
    const scores = Float64Array.from({ length: rows * rank }, uniform);
    const basis = Float64Array.from({ length: rank * cols }, uniform);
    const data = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        let value = 1e6;
        for (let j = 0; j < rank; j++) value += scores[r * rank + j] * (rank - j) * basis[j * cols + c];
        data[r * cols + c] = value;
      }
    }
    // The basis rows' span, orthonormalised, stands in for the exact top 5 (a float64 covariance and Jacobi of
    // 300 columns take too long here): numpy's float64 eigh of this data puts its top 5 at a subspace distance of
    // 7.0e-7 from that span, so the bar below is 5e-6, not the 1e-6 held against exact eigenvectors elsewhere.
    const truth = orthonormalRows(Float64Array.from(basis), rank, cols);
    const warnings: string[] = [];
    const model = await pca({ data, rows, cols }, { k: 10, onWarning: (w) => warnings.push(w) });
    expect(model.converged).toBe(true);
    expect(model.rounds).toBeLessThan(100);
    expect(warnings).toEqual([]);
    const top = { data: model.components.subarray(0, rank * cols), rows: rank, cols };
    expect(subspaceDistance(top, { data: truth, rows: rank, cols })).toBeLessThan(5e-6);
    // Beyond the rank: the rounding's variance, (1/16)² / 12 ≈ 3.3e-4, far below the rank's.
    for (let i = rank; i < 10; i++) expect(model.explainedVariance[i]).toBeLessThan(1e-3);
  });
});

describe('tied eigenvalues at the k-th', () => {
  // Columns of ±1 that are the bits of the row index, over all 2^m rows: orthogonal, mean zero, every variance
  // n / (n − 1) exactly, so every eigenvalue is tied and no top-k span is unique. The subspace bound cannot reach
  // any tol here (its gap is zero), but every Ritz pair is an eigenpair: the fit converges by its residuals at once,
  // and returns eigenvectors with the right variances.
  const bits = 11;
  const rows = 2 ** bits;
  const data = new Float32Array(rows * bits);
  for (let r = 0; r < rows; r++) for (let c = 0; c < bits; c++) data[r * bits + c] = (r >> c) & 1 ? 1 : -1;
  const variance = rows / (rows - 1);

  it.each(['covariance', 'data'] as const)('%s route: converges by residuals within a few rounds', async (solver) => {
    const warnings: string[] = [];
    const model = await pca({ data, rows, cols: bits }, { k: 3, solver, devices: 1, onWarning: (w) => warnings.push(w) });
    expect(model.converged).toBe(true);
    expect(model.rounds).toBeLessThan(10);
    expect(warnings).toEqual([]);
    for (const value of model.explainedVariance) expect(Math.abs(value / variance - 1)).toBeLessThan(1e-5);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let c = 0; c < bits; c++) dot += model.components[i * bits + c] * model.components[j * bits + c];
        expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-5);
      }
    }
  });
});

describe('the in-memory statistics and packing passes', () => {
  it('give the event loop its turns: a pass over 10000 × 2000 values is seconds of work on this thread', async () => {
    const rows = 10000;
    const cols = 2000;
    const reader = readMatrix({ data: normals(5, rows * cols), rows, cols }, 'X');
    const engine = await Engine.create({ d: cols, k: 1, rowCapacity: rows, stage: stageSize(cols) }, PLAY_SETTINGS, { devices: 1, workPerStep: 1 });
    try {
      const stager = new Stager(engine, cols);
      const statistics = await turnsDuring(() => matrixMoments(reader, stager, 'X'));
      expect(statistics.outcome).toHaveProperty('value.rows', rows);
      const packing = await turnsDuring(() => packMatrix(reader, stager, { mean: new Float64Array(cols), scale: 1 }, { kind: 'plain' }));
      // Measured here: 0.3–0.6 s per pass, a turn every ~50 ms. At least a turn per 10 cadences (a pass that never
      // yields has none).
      for (const pass of [statistics, packing]) {
        expect(pass.turns).toBeGreaterThanOrEqual(Math.max(1, Math.floor(pass.duration / 500)));
      }
    } finally {
      engine.dispose();
    }
  }, 60_000);
});
