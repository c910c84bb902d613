// pca of sparse matrices, never densified by the code under test: the three sparse routes, centred (PCA with implicit
// centring) and not (the truncated SVD), csr and csc, unsorted indices and duplicates, empty rows and columns, a flat
// tail, and a wide matrix (fewer rows than columns, the Gram route's case); every answer held to float64 references
// computed here from a dense copy (Jacobi eigensolver). Also: the same bits for 1, 2 and 3 devices, the route chosen
// by cost, Moments and transform of sparse input, the refusals, and an abort mid-fit.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Moments, pca, type PCAModel, type SparseMatrix } from '../../src/entries/node';
import { currentHost } from '../../src/hosts/host';
import { Engine } from '../../src/devices/engine';
import { PLAY_SETTINGS } from '../../src/pca/core';
import { readSparseMatrix } from '../../src/io/sparse';
import { expectSameBits } from '../helpers/bits';
import { expectError } from '../helpers/expect-error';
import { countData } from '../helpers/flat';
import { covariance } from '../helpers/pencil-reference';
import { chooseSparseSolver } from '../../src/pca/sparse';
import { playerCount } from '../../src/pca/solve';
import { planMemory } from '../../src/devices/memory';
import { seededSparse } from '../helpers/random';
import { eigenResidual, jacobiEigen, uncentredEigen } from '../helpers/reference';

/** A seeded sparse n × d matrix: column c kept in ~18 % of rows with spread 1/(1 + c/4) (separated variances), every fifth row and columns 7 and 31 empty. */
function sparseData(n: number, d: number, seed: number): { csr: SparseMatrix; dense: Float64Array } {
  return seededSparse(n, d, seed, (r, c, next, dense) => (
    r % 5 === 4 || c === 7 || c === 31 || next() > 0.18 ? null : Math.fround((0.5 + next()) * 3 / (1 + c / 4) + (c < 4 ? dense[r * d] : 0))
  ));
}

/** The same entries in csc, each column's rows reversed (unsorted) and every entry split into two halves (duplicates). */
function scrambledCsc(dense: Float64Array, n: number, d: number): SparseMatrix {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let c = 0; c < d; c++) {
    for (let r = n - 1; r >= 0; r--) {
      const value = dense[r * d + c];
      if (value === 0) continue;
      indices.push(r, r);
      data.push(value / 2, value / 2);
    }
    indptr.push(indices.length);
  }
  return { format: 'csc', rows: n, cols: d, indptr, indices, data };
}

const [n, d, k] = [400, 50, 6];
const { csr, dense } = sparseData(n, d, 11);
const centred = jacobiEigen(covariance(dense, n, d), d);
const uncentred = uncentredEigen(dense, n, d);
const truthOf = (center: boolean) => (center ? centred : uncentred);

/** |cos| of component i with the reference's eigenvector i. */
function cosine(model: PCAModel, vectors: Float64Array, i: number): number {
  let dot = 0;
  for (let c = 0; c < d; c++) dot += model.components[i * d + c] * vectors[i * d + c];
  return Math.abs(dot);
}

function expectTruth(model: PCAModel, center: boolean): void {
  const truth = truthOf(center);
  const largest = truth.values[0];
  for (let i = 0; i < k; i++) {
    expect(Math.abs(model.explainedVariance[i] - truth.values[i]), `variance ${i}`).toBeLessThan(1e-6 * largest);
    // Separated values (gaps of ≥ 2 % here): vectors within residual / gap of the eigenvectors.
    expect(1 - cosine(model, truth.vectors, i), `component ${i}`).toBeLessThan(1e-5);
  }
}

describe('pca of a sparse matrix', { timeout: 120_000 }, () => {
  it('the reference spectrum is separated at the top k (so single vectors can be compared)', () => {
    for (const truth of [centred, uncentred]) {
      for (let i = 0; i < k; i++) expect(1 - truth.values[i + 1] / truth.values[i]).toBeGreaterThan(0.02);
    }
  });

  for (const center of [true, false]) {
    for (const solver of ['covariance', 'data', 'gram'] as const) {
      it(`${solver} route, center: ${center}: the float64 eigenpairs, from csr and from an unsorted csc with duplicates`, async () => {
        const fromCsr = await pca(csr, { k, center, solver, devices: 1 });
        expect(fromCsr.solver).toBe(`sparse-${solver}`);
        expect(fromCsr.converged).toBe(true);
        expectTruth(fromCsr, center);
        const fromCsc = await pca(scrambledCsc(dense, n, d), { k, center, solver: `sparse-${solver}`, devices: 1 });
        expectTruth(fromCsc, center);
        const means = Array.from({ length: d }, (_, c) => dense.reduce((sum, _v, i) => (i % d === c ? sum + dense[i] : sum), 0) / n);
        for (let c = 0; c < d; c++) expect(fromCsr.mean[c]).toBeCloseTo(center ? means[c] : 0, 12);
        // The total variance: the ratios divide by the float64 trace.
        const total = truthOf(center).values.reduce((sum, value) => sum + value, 0);
        expect(fromCsr.explainedVarianceRatio[0]).toBeCloseTo(truthOf(center).values[0] / total, 6);
      });
    }
  }

  it('center: false is the truncated SVD: singularValues ‖X w‖ and scoreVariance var(X w), as scikit-learn\'s TruncatedSVD', async () => {
    for (const solver of ['covariance', 'data', 'gram'] as const) {
      for (const center of [false, true]) {
        const model = await pca(csr, { k, center, solver, devices: 1 });
        for (let i = 0; i < k; i++) {
          // Scores of the dense float64 copy (centred when the model centres), with the model's own components.
          const scores = Array.from({ length: n }, (_, r) => {
            let sum = 0;
            for (let c = 0; c < d; c++) sum += (dense[r * d + c] - model.mean[c]) * model.components[i * d + c];
            return sum;
          });
          const norm = Math.sqrt(scores.reduce((sum, s) => sum + s * s, 0));
          expect(Math.abs(model.singularValues[i] - norm) / norm, `σ${i} (${solver}, center ${center})`).toBeLessThan(1e-6);
          const rawScores = Array.from({ length: n }, (_, r) => {
            let sum = 0;
            for (let c = 0; c < d; c++) sum += dense[r * d + c] * model.components[i * d + c];
            return sum;
          });
          const mean = rawScores.reduce((sum, s) => sum + s, 0) / n;
          const variance = rawScores.reduce((sum, s) => sum + (s - mean) ** 2, 0) / n;
          expect(Math.abs(model.scoreVariance![i] - variance) / variance, `score variance ${i}`).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('a flat tail at k (single-cell-like log counts): values of float64 and every pair an eigenpair to tol', async () => {
    const [rows, cols, kFlat] = [600, 80, 20];
    const counts = countData(rows, cols, 6, 5);
    const indptr = [0];
    const indices: number[] = [];
    const data: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        if (counts[r * cols + c] !== 0) {
          indices.push(c);
          data.push(counts[r * cols + c]);
        }
      }
      indptr.push(indices.length);
    }
    const exact = covariance(Float64Array.from(counts), rows, cols);
    const truth = jacobiEigen(exact, cols);
    const largest = truth.values[0];
    // Somewhere in the top k two values are within 1 % of each other: their vectors are not compared one by one.
    const tightest = Math.min(...Array.from({ length: kFlat }, (_, i) => 1 - truth.values[i + 1] / truth.values[i]));
    expect(tightest).toBeLessThan(0.01);
    for (const solver of ['covariance', 'data', 'gram'] as const) {
      const model = await pca({ format: 'csr', rows, cols, indptr, indices, data }, { k: kFlat, solver, devices: 1 });
      expect(model.converged).toBe(true);
      let captured = 0;
      let exactCaptured = 0;
      for (let i = 0; i < kFlat; i++) {
        expect(Math.abs(model.explainedVariance[i] - truth.values[i]), `${solver}: value ${i}`).toBeLessThan(1e-6 * largest);
        const v = model.components.subarray(i * cols, (i + 1) * cols);
        expect(eigenResidual(exact, cols, v, model.explainedVariance[i]), `${solver}: residual ${i}`).toBeLessThan(3e-6 * largest);
        captured += model.explainedVariance[i];
        exactCaptured += truth.values[i];
      }
      expect(Math.abs(captured - exactCaptured)).toBeLessThan(1e-6 * exactCaptured);
    }
  });

  describe('the same bits for 1, 2 and 3 devices', () => {
    beforeEach(() => void vi.spyOn(currentHost(), 'hardwareThreads').mockReturnValue(8));
    afterEach(() => vi.restoreAllMocks());
    // k = 30 plays 45 players: the product routes' dense blocks in two panels of lanes (src/devices/memory.ts lanePanels).
    it.each([['covariance', k], ['data', k], ['gram', k], ['data', 30], ['gram', 30]] as const)('%s route, k = %i', async (solver, kOf) => {
      const models: PCAModel[] = [];
      for (const devices of [1, 2, 3]) {
        const model = await pca(csr, { k: kOf, solver, devices, center: true });
        expect(model.backend).toMatchObject({ devices });
        models.push(model);
      }
      for (const model of models.slice(1)) {
        expectSameBits(model.components, models[0].components, `${solver} components on ${model.backend!.devices} devices`);
        expectSameBits(model.explainedVariance, models[0].explainedVariance, `${solver} variances on ${model.backend!.devices} devices`);
      }
      for (let i = 0; i < kOf; i++) {
        expect(Math.abs(models[0].explainedVariance[i] - centred.values[i]), `variance ${i}`).toBeLessThan(1e-6 * centred.values[0]);
      }
    });
  });

  it('the covariance pass on 2 and 3 worker devices: the in-thread sums, to the bit (and the touch job keeps the matrix)', async () => {
    // A fit runs the pass's first jobs in this thread while its workers start: here they run on ready workers.
    vi.spyOn(currentHost(), 'hardwareThreads').mockReturnValue(8);
    const reader = readSparseMatrix(csr, 'X');
    const padded = 56;
    const sums: Float64Array[] = [];
    try {
      for (const devices of [1, 2, 3]) {
        const engine = await Engine.create(
          { d: padded, k: 1, rowCapacity: padded, play: true, dense: true, sparse: { rows: n, cols: d, entries: reader.nnz, route: 'covariance' } },
          PLAY_SETTINGS, { devices, workPerStep: 1e12 },
        );
        try {
          await engine.ready();
          expect(engine.backend).toMatchObject({ kind: devices === 1 ? 'in-thread' : 'workers', devices });
          const buffers = engine.sparse();
          buffers.indptr.set(reader.csr.indptr);
          buffers.indices.set(reader.csr.indices);
          buffers.data.set(reader.csr.data);
          // The 'touch' job that maps the matrix's pages before a fit copies it in keeps every value.
          const before = [buffers.indptr.slice(), buffers.indices.slice(), buffers.data.slice()];
          const { sparse } = engine.hostKernels().plan;
          await engine.run({ kind: 'touch', ranges: [{ start: sparse!.indptr, end: sparse!.data + reader.nnz * 8 }, { start: 1, end: 9000 }] });
          expect([buffers.indptr, buffers.indices, buffers.data]).toEqual(before);
          for (let first = 0; first < n; first += 150) await engine.run({ kind: 'sparse-covariance', first, rows: Math.min(150, n - first) });
          sums.push(engine.operator().sums.slice());
        } finally {
          engine.dispose();
        }
      }
    } finally {
      vi.restoreAllMocks();
    }
    const reference = covariance(dense, n, d, 1);
    const means = reader.means();
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const uncentred = reference[i * d + j] + n * means[i] * means[j];
        expect(Math.abs(sums[0][i * padded + j] - uncentred)).toBeLessThan(1e-12 * (1 + Math.abs(uncentred)));
      }
    }
    expectSameBits(sums[1], sums[0], 'sums on 2 devices');
    expectSameBits(sums[2], sums[0], 'sums on 3 devices');
  });

  it('Moments.of and partialFit: the float64 scatter and mean of the dense copy', async () => {
    const moments = await Moments.of(csr, { devices: 1 });
    const scatter = covariance(dense, n, d, 1);
    expect(moments.n).toBe(n);
    for (let i = 0; i < d * d; i++) expect(Math.abs(moments.scatter[i] - scatter[i])).toBeLessThan(1e-12 * (1 + Math.abs(scatter[i])));
    const halves = new Moments(d);
    const top: SparseMatrix = { format: 'csr', rows: 200, cols: d, indptr: (csr.indptr as Int32Array).subarray(0, 201), indices: csr.indices, data: csr.data };
    const rest = (csr.indptr as Int32Array).subarray(200).map((offset) => offset - (csr.indptr as Int32Array)[200]);
    const start = (csr.indptr as Int32Array)[200];
    const bottom: SparseMatrix = { format: 'csr', rows: 200, cols: d, indptr: rest, indices: (csr.indices as Int32Array).subarray(start), data: (csr.data as Float32Array).subarray(start) };
    await halves.partialFit({ ...top, indices: (csr.indices as Int32Array).subarray(0, start), data: (csr.data as Float32Array).subarray(0, start) }, { devices: 1 });
    await halves.partialFit(bottom, { devices: 1 });
    for (let i = 0; i < d * d; i++) expect(Math.abs(halves.scatter[i] - scatter[i])).toBeLessThan(1e-12 * (1 + Math.abs(scatter[i])));
    await expectError(() => new Moments(d + 1).partialFit(csr), RangeError, /X has 50 columns, but these moments are of d = 51/);
  });

  it('transform of sparse rows: (X − mean) Wᵀ in float64, as of the dense rows', async () => {
    const model = await pca(csr, { k, devices: 1 });
    const sparse = model.transform(scrambledCsc(dense, n, d));
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < k; i++) {
        let expected = 0;
        for (let c = 0; c < d; c++) expected += (dense[r * d + c] - model.mean[c]) * model.components[i * d + c];
        expect(Math.abs(sparse.data[r * k + i] - expected)).toBeLessThan(1e-12 * (1 + Math.abs(expected)));
      }
    }
    expect(() => model.transform({ ...csr, cols: d + 1, indptr: csr.indptr })).toThrow(/X has 51 columns, but the model has d = 50/);
  });

  it.each([
    ['k above the rows', () => pca({ format: 'csr', rows: 3, cols: 10, indptr: [0, 1, 2, 3], indices: [0, 4, 9], data: [1, 2, 3] }, { k: 4 }), RangeError, /k = 4 is larger than the number of rows \(3\)/],
    ['k above the columns', () => pca(csr, { k: 51 }), RangeError, /k = 51 is larger than d = 50: there are at most d principal components/],
    ['one row', () => pca({ format: 'csr', rows: 1, cols: 3, indptr: [0, 1], indices: [0], data: [1] }, { k: 1 }), RangeError, /X has 1 row; PCA needs at least 2/],
    ['the sparse Gram route for dense rows', () => pca([[1, 2], [3, 4], [5, 7]], { k: 1, solver: 'sparse-gram' }), RangeError, /solver "sparse-gram" is for a sparse matrix/],
    ['a sparse route for dense rows', () => pca([[1, 2], [3, 4], [5, 7]], { k: 1, solver: 'sparse-data' }), RangeError, /solver "sparse-data" is for a sparse matrix/],
    ['a bad matrix', () => pca({ ...csr, indptr: [1] }, { k }), RangeError, /X\.indptr has 1 offsets/],
    ['rows that do not vary', () => pca({ format: 'csr', rows: 3, cols: 2, indptr: [0, 0, 0, 0], indices: [], data: [] }, { k: 1 }), RangeError, /X has no variance/],
  ])('refuses %s', async (_, run, type, message) => {
    await expectError(run, type, message);
  });

  it.each(['covariance', 'data', 'gram'] as const)('%s route: aborts mid-fit with the signal\'s AbortError', async (solver) => {
    const controller = new AbortController();
    const steps: number[] = [];
    const fit = pca(csr, {
      k, solver, tol: 0, maxSteps: 1_000_000, signal: controller.signal, devices: 1,
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step === 10) controller.abort();
      },
    });
    await expect(fit).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps).toEqual([5, 10]);
  });
});

/** A seeded wide sparse n × d matrix (text-like: ~5 % of entries, column scales falling as 1/(1 + c/6)), every seventh row and every fiftieth column empty. */
function wideData(rows: number, cols: number, seed: number): { csr: SparseMatrix; dense: Float64Array } {
  return seededSparse(rows, cols, seed, (r, c, next) => (
    r % 7 === 3 || c % 50 === 13 || next() > 0.05 ? null : Math.fround((0.25 + next()) / (1 + c / 6))
  ));
}

/**
 * The float64 answer on a wide matrix from its n × n Gram matrix X̃X̃ᵀ / (n − 1) (Jacobi): its top values, and the
 * components X̃ᵀu, normalised; `centred`: X̃; `exact` (unless `withOperator` is false): the d × d operator C =
 * X̃ᵀX̃ / (n − 1) the components are checked against.
 */
function wideTruth(x: Float64Array, rows: number, cols: number, center: boolean, top: number, withOperator = true) {
  const centred = Float64Array.from(x);
  if (center) {
    for (let c = 0; c < cols; c++) {
      let mean = 0;
      for (let r = 0; r < rows; r++) mean += x[r * cols + c] / rows;
      for (let r = 0; r < rows; r++) centred[r * cols + c] -= mean;
    }
  }
  const gram = new Float64Array(rows * rows);
  for (let a = 0; a < rows; a++) {
    for (let b = 0; b < rows; b++) {
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += centred[a * cols + c] * centred[b * cols + c];
      gram[a * rows + b] = sum / (rows - 1);
    }
  }
  const { values, vectors: u } = jacobiEigen(gram, rows);
  const vectors = new Float64Array(top * cols);
  for (let i = 0; i < top; i++) {
    let norm = 0;
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += centred[r * cols + c] * u[i * rows + r];
      vectors[i * cols + c] = sum;
      norm += sum * sum;
    }
    for (let c = 0; c < cols; c++) vectors[i * cols + c] /= Math.sqrt(norm);
  }
  const exact = new Float64Array(withOperator ? cols * cols : 0);
  for (let r = 0; withOperator && r < rows; r++) {
    for (let a = 0; a < cols; a++) {
      const value = centred[r * cols + a];
      if (value !== 0) for (let b = 0; b < cols; b++) exact[a * cols + b] += (value * centred[r * cols + b]) / (rows - 1);
    }
  }
  return { values, vectors, exact, centred };
}

/** ‖C w − value · w‖ for C = X̃ᵀX̃ / (n − 1), through X̃ (rows × cols, float64) without forming C. */
function residualThrough(centred: Float64Array, rows: number, cols: number, w: ArrayLike<number>, value: number): number {
  const image = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    let projection = 0;
    for (let c = 0; c < cols; c++) projection += centred[r * cols + c] * w[c];
    for (let c = 0; c < cols; c++) image[c] += (centred[r * cols + c] * projection) / (rows - 1);
  }
  let square = 0;
  for (let c = 0; c < cols; c++) square += (image[c] - value * w[c]) ** 2;
  return Math.sqrt(square);
}

describe('the sparse Gram route on a wide matrix (n < d)', { timeout: 120_000 }, () => {
  const [rows, cols, top] = [90, 700, 6];
  const wide = wideData(rows, cols, 5);
  const truths = { true: wideTruth(wide.dense, rows, cols, true, top), false: wideTruth(wide.dense, rows, cols, false, top) };

  it('the reference spectrum is separated at the top k, and the matrix has empty rows and columns', () => {
    for (const truth of Object.values(truths)) {
      for (let i = 0; i < top; i++) expect(1 - truth.values[i + 1] / truth.values[i]).toBeGreaterThan(0.02);
    }
    expect(wide.dense.subarray(3 * cols, 4 * cols).every((value) => value === 0)).toBe(true);
    for (let r = 0; r < rows; r++) expect(wide.dense[r * cols + 13]).toBe(0);
  });

  it('is the cheapest route there, and not on tall matrices nor on a few thousand columns (single cells)', () => {
    expect(chooseSparseSolver(readSparseMatrix(wide.csr, 'X'), top, 'auto')).toBe('sparse-gram');
    expect(chooseSparseSolver(readSparseMatrix(csr, 'X'), k, 'auto')).toBe('sparse-covariance');
    // The bench's shapes: 20000 × 60000 text, 1.9 M entries; 60000 × 20000 (its transpose); 20000 × 4000 cells, where
    // the data route's players (p² · 4000 a round) cost less than the Gram route's (p² · 20000).
    const shaped = (r: number, c: number, nnz: number) => ({ rows: r, cols: c, nnz, outerProducts: () => (nnz / r) ** 2 * r / 2 }) as never;
    expect(chooseSparseSolver(shaped(20000, 60000, 1.9e6), 50, 'auto')).toBe('sparse-gram');
    expect(chooseSparseSolver(shaped(60000, 20000, 1.9e6), 50, 'auto')).toBe('sparse-data');
    expect(chooseSparseSolver(shaped(20000, 4000, 2.2e6), 50, 'auto')).toBe('sparse-data');
    expect(chooseSparseSolver(shaped(20000, 60000, 1.9e6), 50, 'gram')).toBe('sparse-gram');
    expect(chooseSparseSolver(shaped(20000, 60000, 1.9e6), 50, 'sparse-data')).toBe('sparse-data');
  });

  for (const center of [true, false]) {
    it(`center: ${center}: float64 values and components, each an eigenpair of X̃ᵀX̃ / (n − 1) to tol, from csr and csc`, async () => {
      const truth = truths[`${center}`];
      const largest = truth.values[0];
      const inputs: [string, SparseMatrix][] = [['csr', wide.csr], ['csc', scrambledCsc(wide.dense, rows, cols)]];
      for (const [format, input] of inputs) {
        const model = await pca(input, { k: top, center, devices: 1 });
        expect(model.solver).toBe('sparse-gram');
        expect(model.converged).toBe(true);
        for (let i = 0; i < top; i++) {
          expect(Math.abs(model.explainedVariance[i] - truth.values[i]), `${format}: value ${i}`).toBeLessThan(1e-6 * largest);
          const w = model.components.subarray(i * cols, (i + 1) * cols);
          let dot = 0;
          for (let c = 0; c < cols; c++) dot += w[c] * truth.vectors[i * cols + c];
          expect(1 - Math.abs(dot), `${format}: component ${i}`).toBeLessThan(1e-5);
          expect(eigenResidual(truth.exact, cols, w, model.explainedVariance[i]), `${format}: residual ${i}`).toBeLessThan(3e-6 * largest);
        }
        expect(model.singularValues[0]).toBeCloseTo(Math.sqrt(truth.values[0] * (rows - 1)), 4);
      }
    });
  }

  for (const center of [true, false]) {
    it(`center: ${center}: stopped by maxSteps, it names each component's own residual on X̃ᵀX̃ / (n − 1) (float64's, to the printed digits)`, async () => {
      const truth = truths[`${center}`];
      const warnings: string[] = [];
      const model = await pca(wide.csr, { k: top, center, maxSteps: 2, devices: 1, onWarning: (message) => warnings.push(message) });
      expect([model.solver, model.converged]).toEqual(['sparse-gram', false]);
      expect(warnings).toHaveLength(1);
      const [, named, printed] = /components? ([\d, ]+) \(residuals? ([^)]+) of the largest\) (?:is|are) not converged/.exec(warnings[0]) ?? [];
      const components = named.split(', ').map(Number);
      const residuals = printed.split(', ').map(Number);
      expect(components.length).toBeGreaterThan(1);
      components.forEach((i, j) => {
        const w = model.components.subarray(i * cols, (i + 1) * cols);
        const own = eigenResidual(truth.exact, cols, w, model.explainedVariance[i]) / model.explainedVariance[0];
        // Two digits printed: within 5 % of float64's.
        expect(Math.abs(residuals[j] / own - 1), `component ${i}: ${residuals[j]} printed, ${own} in float64`).toBeLessThan(0.05);
      });
    });
  }

  it('with a tol below float32\'s floor it tightens the players\' tol and plays on from where they were, not from a new start', async () => {
    // 44 × 1670, 14 components: the players meet tol = 1e-7 at round 6, some components do not (their residuals on
    // X̃ᵀX̃ are up to 8e-7), the players play on with a tighter tol until the checks stop improving.
    const next = lcg(7);
    const [n, d, kTight] = [44, 1670, 14];
    const indptr = [0], indices: number[] = [], data: number[] = [];
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < d; c++) {
        if (next() < 0.1) {
          indices.push(c);
          data.push(((0.25 + next()) / (1 + c / 2)) * (r < 3 ? 30 : 1));
        }
      }
      indptr.push(indices.length);
    }
    const checks: { step: number; residual: number }[] = [];
    const warnings: string[] = [];
    const model = await pca({ format: 'csr', rows: n, cols: d, indptr, indices, data }, {
      k: kTight, tol: 1e-7, devices: 1, onWarning: (message) => warnings.push(message),
      onProgress: (progress) => checks.push({ step: progress.step, residual: progress.residual }),
    });
    expect([model.solver, model.converged]).toEqual(['sparse-gram', false]);
    expect(warnings.join('\n')).toMatch(/stopped falling \(float32's floor for these data\)/);
    // Passes: the statistics, two a round, and at each tightening and at the end a residual and a components' product.
    const tightenings = (model.passes! - 1 - 2 * model.rounds!) / 2 - 1;
    expect(tightenings).toBeGreaterThan(0);
    // The check that met tol, then the next report: the players went on from their span (residual ~5e-8); players
    // left holding the residual rows (as if the players' buffer had carried them) measured 4.9e-5 there.
    const met = checks.findIndex((check) => check.residual <= 1e-7);
    expect(met).toBeGreaterThanOrEqual(0);
    expect(checks[met + 1].step).toBeGreaterThan(checks[met].step);
    expect(checks[met + 1].residual).toBeLessThan(10 * checks[met].residual);
  });

  describe('the same bits for 1, 2 and 3 devices', () => {
    beforeEach(() => void vi.spyOn(currentHost(), 'hardwareThreads').mockReturnValue(8));
    afterEach(() => vi.restoreAllMocks());

    // The components' float64 product: in Vᵀ and Q's bytes (d ≥ n + 2 · 4096) or in bytes of its own, in one job or
    // in blocks of columns (the second block's columns start past the first's).
    it.each([
      [40, 40 + 2 * 4096 + 100, 4, true, 1],
      [40, 8400, 24, true, 2],
      [60, 7000, 50, false, 2],
    ] as const)('%i × %i, k = %i (the rounds\' bytes: %s, jobs: %i): float64 eigenpairs, the same bits on 2 devices', async (n, d, kWide, reused, jobs) => {
      const data = wideData(n, d, 11);
      const reader = readSparseMatrix(data.csr, 'X');
      const players = playerCount(kWide, n);
      const plan = planMemory({ d: n, k: players, optimizerSlots: 0, rowCapacity: 0, devices: 2, play: true, sparse: { rows: n, cols: d, entries: reader.nnz, route: 'gram' } }, 1024).sparse!;
      expect(plan.vectors64 === plan.vt).toBe(reused);
      const lanes = kWide + (kWide & 1);
      expect(Math.ceil(d / Math.floor(plan.columns64Bytes / (lanes * 8)))).toBe(jobs);
      const truth = wideTruth(data.dense, n, d, true, kWide, false);
      const models: PCAModel[] = [];
      for (const devices of [1, 2]) {
        const model = await pca(data.csr, { k: kWide, devices });
        expect([model.solver, model.converged]).toEqual(['sparse-gram', true]);
        for (let i = 0; i < kWide; i++) {
          expect(Math.abs(model.explainedVariance[i] - truth.values[i]), `value ${i}`).toBeLessThan(1e-6 * truth.values[0]);
          const w = model.components.subarray(i * d, (i + 1) * d);
          expect(residualThrough(truth.centred, n, d, w, model.explainedVariance[i]), `residual ${i}`).toBeLessThan(3e-6 * truth.values[0]);
          // A single vector means something where its value stands apart from its neighbours'.
          const apart = (j: number) => j < 0 || j >= n || Math.abs(truth.values[j] - truth.values[i]) > 0.02 * truth.values[i];
          if (apart(i - 1) && apart(i + 1)) {
            let dot = 0;
            for (let c = 0; c < d; c++) dot += w[c] * truth.vectors[i * d + c];
            expect(1 - Math.abs(dot), `component ${i}`).toBeLessThan(1e-5);
          }
        }
        models.push(model);
      }
      expectSameBits(models[1].components, models[0].components, 'components on 2 devices');
    });

    it.each([true, false])('center: %s', async (center) => {
      const models: PCAModel[] = [];
      for (const devices of [1, 2, 3]) {
        const model = await pca(wide.csr, { k: top, center, devices });
        expect(model.solver).toBe('sparse-gram');
        expect(model.backend).toMatchObject({ devices, kind: devices === 1 ? 'in-thread' : 'workers' });
        models.push(model);
      }
      for (const model of models.slice(1)) {
        expect(model.rounds).toBe(models[0].rounds);
        expectSameBits(model.components, models[0].components, `components on ${model.backend!.devices} devices`);
        expectSameBits(model.explainedVariance, models[0].explainedVariance, `variances on ${model.backend!.devices} devices`);
      }
    });
  });
});

/** A seeded linear congruential generator of uniforms in [0, 1). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
