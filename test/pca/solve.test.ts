// How often pca's players are checked where each round multiplies through products (the data and sparse routes):
// by the cost of a check against a round's, and never at the price of the float64 residual criterion or of bits
// that depend on the number of devices.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { pca, type PCAModel, type SparseMatrix } from '../../src/entries/node';
import { currentHost } from '../../src/hosts/host';
import { playerCount, productCheckEvery } from '../../src/pca/solve';
import { expectSameBits } from '../helpers/bits';
import { seededSparse } from '../helpers/random';

describe('productCheckEvery', () => {
  const k = 50;
  it('spaces the checks on a wide text matrix, where they cost as much as the products (20000 × 60000, 1.9 M entries)', () => {
    const [d, nnz] = [60000, 1.9e6];
    const p = playerCount(k, d);
    expect(productCheckEvery(2 * nnz * p, p, k, d)).toBe(6);
  });
  it('checks every round or two where the products dominate: a single-cell matrix of 4000 genes, dense rows', () => {
    const p = playerCount(k, 4000);
    expect(productCheckEvery(2 * 2.2e6 * p, p, k, 4000)).toBe(2);
    const q = playerCount(16, 784);
    expect(productCheckEvery(2 * 60000 * 784 * q, q, 16, 784)).toBe(1);
  });
  it('stays between 1 and 6 rounds, and never checks less often for costlier products', () => {
    let last = Infinity;
    for (const work of [0, 1e3, 1e6, 1e8, 1e10, 1e13]) {
      const every = productCheckEvery(work, 75, 50, 60000);
      expect(every).toBeGreaterThanOrEqual(1);
      expect(every).toBeLessThanOrEqual(6);
      expect(every).toBeLessThanOrEqual(last);
      last = every;
    }
    expect(last).toBe(1);
  });
});

/** A seeded wide sparse n × d matrix (text-like: ~3 % of entries, column scales falling as 1/(1 + c/8)), with its dense copy. */
function wideSparse(n: number, d: number, seed: number): { csr: SparseMatrix; dense: Float64Array; nnz: number } {
  return seededSparse(n, d, seed, (_r, c, next) => (next() > 0.03 ? null : Math.fround((0.25 + next()) / (1 + c / 8))));
}

describe('a wide sparse fit checked every few rounds', () => {
  const [n, d, k] = [90, 700, 6];
  const { csr, dense, nnz } = wideSparse(n, d, 11);
  afterEach(() => vi.restoreAllMocks());

  it('is checked less often than every round', () => {
    const p = playerCount(k, d);
    expect(productCheckEvery(2 * nnz * p, p, k, d)).toBeGreaterThan(1);
  });

  it('stops only when every pair is an eigenpair of XᵀX / (n − 1) to tol, measured in float64', async () => {
    const model = await pca(csr, { k, center: false, solver: 'data', devices: 1 });
    expect(model.solver).toBe('sparse-data');
    expect(model.converged).toBe(true);
    const largest = model.explainedVariance[0];
    for (let i = 0; i < k; i++) {
      const v = model.components.subarray(i * d, (i + 1) * d);
      // A v = Xᵀ (X v) / (n − 1), in float64 from the dense copy.
      const xv = new Float64Array(n);
      for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) xv[r] += dense[r * d + c] * v[c];
      const image = new Float64Array(d);
      for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) image[c] += (dense[r * d + c] * xv[r]) / (n - 1);
      let quotient = 0;
      for (let c = 0; c < d; c++) quotient += v[c] * image[c];
      let squares = 0;
      for (let c = 0; c < d; c++) squares += (image[c] - quotient * v[c]) ** 2;
      expect(Math.sqrt(squares), `residual ${i}`).toBeLessThan(3e-6 * largest);
      expect(Math.abs(model.explainedVariance[i] - quotient), `value ${i}`).toBeLessThan(1e-6 * largest);
    }
  });

  it('has the same bits on 1 and 2 devices', async () => {
    vi.spyOn(currentHost(), 'hardwareThreads').mockReturnValue(8);
    const models: PCAModel[] = [];
    for (const devices of [1, 2]) {
      const model = await pca(csr, { k, center: false, solver: 'data', devices });
      expect(model.backend).toMatchObject({ devices });
      models.push(model);
    }
    expect(models[1].rounds).toBe(models[0].rounds);
    expectSameBits(models[1].components, models[0].components, 'components');
    expectSameBits(models[1].explainedVariance, models[0].explainedVariance, 'variances');
  });
});
