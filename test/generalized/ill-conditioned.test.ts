// cca, pls and lda where B is ill-conditioned (correlated features: one common factor of spread s beside unit noise,
// κ ≈ d·s²), against float64 references written from the textbook formulas (pencil-reference.ts): the eigenvalues
// must be float64's, not float32 sums' (whose ~1e-7 error, multiplied by κ(B), moved lda's top eigenvalue by 0.9 %
// at κ ≈ 4e6). Two float64 solvers of the same pencil agree to float64's own floor, about d·κ·1.1e-16 (Cholesky's
// backward error, d·ε·‖B‖, seen through κ(B)): 3.5e-9 for lda's d = 8 at κ ≈ 4e6, so the bound is 5e-9 there and
// 2e-9 for cca's and pls's (measured: 2.8e-9 and below 1e-9).

import { describe, expect, it } from 'vitest';
import { cca, lda, pls } from '../../src/entries/node';
import { Rng } from '../../src/math/rng';
import { backends } from '../helpers/backends';
import { ccaReference, ldaReference, plsReference, rowCosine } from '../helpers/pencil-reference';

/** n rows of d features x_j = s·z + e_j + offset (z, e_j standard normal): a covariance of condition number ≈ d·s² + 1. */
function correlated(rng: Rng, n: number, d: number, spread: number, offset: number): Float64Array {
  const x = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    const z = spread * rng.nextNormal();
    for (let j = 0; j < d; j++) x[r * d + j] = z + rng.nextNormal() + offset;
  }
  return x;
}

const relative = (found: number, expected: number) => Math.abs(found - expected) / Math.abs(expected);

describe.each(backends)('ill-conditioned B against float64, $name', ({ devices }) => {
  it('lda: Sw with κ ≈ 4e6 (classes far apart): eigenvalues within 5e-9 of float64 eigh(Sb, Sw)', async () => {
    const n = 3000;
    const d = 8;
    const classes = 4;
    const rng = Rng.fromSeed(1);
    const x = correlated(rng, n, d, 707, 5000);
    const means = Array.from({ length: classes }, () => Float64Array.from({ length: d }, () => 1000 * rng.nextNormal()));
    const labels = Array.from({ length: n }, (_, r) => r % classes);
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) x[r * d + j] += means[labels[r]][j];
    const k = 3;
    const reference = ldaReference(x, labels, n, d, k);
    const model = await lda({ data: x, rows: n, cols: d }, labels, { k, devices });
    expect(model.converged).toBe(true);
    for (let i = 0; i < k; i++) {
      expect(relative(model.eigenvalues[i], reference.values[i]), `eigenvalue ${i}`).toBeLessThanOrEqual(5e-9);
      expect(rowCosine(model.scalings, reference.vectors, i, d), `direction ${i}`).toBeGreaterThanOrEqual(1 - 1e-9);
    }
  }, 60_000);

  it('cca and pls: Cxx with κ ≈ 4e6: correlations and singular values within 2e-9 of float64', async () => {
    const n = 4000;
    const dx = 6;
    const dy = 3;
    const rng = Rng.fromSeed(2);
    const x = correlated(rng, n, dx, 800, -300);
    // Y sees X's small directions (x_j − x_{j+1} = e_j − e_{j+1}) through noise, so the canonical directions of X are
    // in Cxx's ill-conditioned subspace.
    const y = new Float64Array(n * dy);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < dy; c++) y[r * dy + c] = (c + 1) * (x[r * dx + c] - x[r * dx + c + 1]) + 2 * rng.nextNormal() + 40;
    }
    const k = 2;
    const X = { data: x, rows: n, cols: dx };
    const Y = { data: y, rows: n, cols: dy };
    const expected = ccaReference(x, y, n, dx, dy, k);
    const model = await cca(X, Y, { k, devices });
    expect(model.converged).toBe(true);
    for (let i = 0; i < k; i++) expect(relative(model.correlations[i], expected.values[i]), `correlation ${i}`).toBeLessThanOrEqual(2e-9);
    const plsExpected = plsReference(x, y, n, dx, dy, k);
    const plsModel = await pls(X, Y, { k, devices });
    expect(plsModel.converged).toBe(true);
    for (let i = 0; i < k; i++) expect(relative(plsModel.singularValues[i], plsExpected.values[i]), `singular value ${i}`).toBeLessThanOrEqual(2e-9);
  }, 60_000);
});
