// pca on spectra without a gap at k (flat tails, as real data has): convergence judged by each Ritz pair's residual,
// as ARPACK judges it, checked against float64 references (a Jacobi eigensolver of the float64 covariance).

import { describe, expect, it } from 'vitest';
import { pca, type PCAModel, type PCAProgress } from '../../src/entries/node';
import { countData, spectrumData } from '../helpers/flat';
import { covariance } from '../helpers/pencil-reference';
import { eigenResidual, jacobiEigen } from '../helpers/reference';

const [rows, cols, k] = [2000, 300, 38];
const data = countData(rows, cols, 8, 21);
const exact = covariance(Float64Array.from(data), rows, cols);
const truth = jacobiEigen(exact, cols);
const largest = truth.values[0];

/** ‖C v − θ v‖ in float64 for component i of a model, C the exact covariance. */
function residual(model: PCAModel, i: number): number {
  return eigenResidual(exact, cols, model.components.subarray(i * cols, (i + 1) * cols), model.explainedVariance[i]);
}

describe('a flat tail at k (single-cell-like counts, 2000 × 300, k = 38)', { timeout: 120_000 }, () => {
  it('the tail is flat: λ38 and λ39 within 0.05 % of each other', () => {
    expect(truth.values[k - 1] / truth.values[k] - 1).toBeLessThan(5e-4);
  });

  it.each(['covariance', 'data'] as const)('%s route: converges, every pair an eigenpair to tol, values of float64', async (solver) => {
    const warnings: string[] = [];
    const model = await pca({ data, rows, cols }, { k, solver, onWarning: (w) => warnings.push(w) });
    expect(model.converged).toBe(true);
    expect(warnings).toEqual([]);
    let captured = 0;
    let exactCaptured = 0;
    for (let i = 0; i < k; i++) {
      // Residuals of float32 components against the float64 covariance: the default tol 1e-6 and float32's rounding.
      expect(residual(model, i)).toBeLessThan(3e-6 * largest);
      // Each value is within ~residual² / gap of its eigenvalue, and float32 products leave ~1e-7 of λ₁.
      expect(Math.abs(model.explainedVariance[i] - truth.values[i])).toBeLessThan(1e-6 * largest);
      captured += model.explainedVariance[i];
      exactCaptured += truth.values[i];
      // Vectors of separated eigenvalues: sin θ ≤ residual / gap (Davis–Kahan for one vector).
      const gap = Math.min(i > 0 ? truth.values[i - 1] - truth.values[i] : Infinity, truth.values[i] - truth.values[i + 1]);
      if (gap > 1e-3 * largest) {
        // sin θ as the length of the component's part off the eigenvector (1 − cos² would lose it to float32's norm).
        const v = model.components.subarray(i * cols, (i + 1) * cols);
        const u = truth.vectors.subarray(i * cols, (i + 1) * cols);
        let along = 0;
        let norm = 0;
        for (let c = 0; c < cols; c++) {
          along += v[c] * u[c];
          norm += v[c] * v[c];
        }
        let off = 0;
        for (let c = 0; c < cols; c++) off += (v[c] - along * u[c]) ** 2;
        expect(Math.sqrt(off / norm)).toBeLessThan((3e-6 * largest) / gap + 1e-6);
      }
    }
    expect(Math.abs(captured / exactCaptured - 1)).toBeLessThan(1e-6);
  });

  it('progress events carry values and residuals in variance units: the last one is the model', async () => {
    const events: PCAProgress[] = [];
    const model = await pca({ data, rows, cols }, { k, onProgress: (p) => events.push(p) });
    const last = events.at(-1)!;
    expect(last.step).toBe(model.rounds);
    for (let i = 0; i < k; i++) {
      expect(Math.abs(last.utilities[i] / model.explainedVariance[i] - 1)).toBeLessThan(1e-12);
      expect(last.residuals[i]).toBeGreaterThanOrEqual(0);
      expect(last.residuals[i]).toBeLessThanOrEqual(1e-6 * last.utilities[0]);
    }
    expect(last.residual).toBeLessThanOrEqual(1e-6);
    // Data 1000 times larger: variances (and the residuals' bar) 1e6 times larger.
    const scaled = Float32Array.from(data, (value) => value * 1000);
    const big: PCAProgress[] = [];
    await pca({ data: scaled, rows, cols }, { k, onProgress: (p) => big.push(p) });
    const bigLast = big.at(-1)!;
    for (let i = 0; i < k; i++) {
      expect(Math.abs(bigLast.utilities[i] / (1e6 * last.utilities[i]) - 1)).toBeLessThan(1e-5);
      expect(bigLast.residuals[i]).toBeLessThanOrEqual(1e-6 * bigLast.utilities[0]);
    }
    expect(bigLast.utilities[0]).toBeGreaterThan(1e5 * largest);
  });

  it('a cap says which components have not converged, with their residuals, and what helps', async () => {
    const warnings: string[] = [];
    const model = await pca({ data, rows, cols }, { k, maxSteps: 3, onWarning: (w) => warnings.push(w) });
    expect(model.converged).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^pca stopped after maxSteps = 3 rounds before every component's residual was within tol = 1e-6 of the largest variance: /);
    expect(warnings[0]).toMatch(/components [\d, ]+( and \d+ more)? \(residuals (\d(\.\d)?e-\d+(, )?)+ of the largest\) are not converged; raise maxSteps/);
  });

  it('a tol below what float32 resolves ends when nothing improves, says so, and suggests a tol that is met', async () => {
    const warnings: string[] = [];
    const model = await pca({ data, rows, cols }, { k, tol: 1e-12, maxSteps: 2000, onWarning: (w) => warnings.push(w) });
    expect(model.converged).toBe(false);
    expect(model.rounds).toBeLessThan(500);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^pca stopped after \d+ rounds, when its residuals stopped falling \(float32's floor for these data\)/);
    const suggested = Number(/a tol of ([\d.e-]+) accepts them/.exec(warnings[0])![1]);
    const again = await pca({ data, rows, cols }, { k, tol: suggested });
    expect(again.converged).toBe(true);
    // Still the float64 answer.
    for (let i = 0; i < k; i++) expect(Math.abs(model.explainedVariance[i] - truth.values[i])).toBeLessThan(1e-6 * largest);
  });
});

describe('k above the rank (rank 4 plus isotropic noise, 2000 × 120, k = 10)', () => {
  it('converges, with the 4 signal components right', { timeout: 120_000 }, async () => {
    const [n, d] = [2000, 120];
    const noisy = spectrumData(n, d, [40, 20, 10, 5], 0.01, 5);
    const c = covariance(Float64Array.from(noisy), n, d);
    const reference = jacobiEigen(c, d);
    for (const solver of ['covariance', 'data'] as const) {
      const model = await pca({ data: noisy, rows: n, cols: d }, { k: 10, solver });
      expect(model.converged).toBe(true);
      for (let i = 0; i < 10; i++) expect(Math.abs(model.explainedVariance[i] - reference.values[i])).toBeLessThan(1e-5 * reference.values[0]);
      for (let i = 0; i < 4; i++) {
        let cosine = 0;
        for (let j = 0; j < d; j++) cosine += model.components[i * d + j] * reference.vectors[i * d + j];
        expect(Math.abs(cosine)).toBeGreaterThan(0.99999);
      }
    }
  });
});
