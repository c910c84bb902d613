// cca, pls and lda against scikit-learn and scipy on data sets bundled with scikit-learn, from a fixture computed
// once (scripts/sklearn-generalized.py; tests never run Python): the numbers of docs/generalized.md's side-by-side.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cca, lda, pls } from '../../src/entries/node';
import { rowCosine, spanDistance } from '../helpers/pencil-reference';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/sklearn-generalized.json', import.meta.url), 'utf8'));
const { diabetes, wine } = fixture;
const matrix = (values: number[], rows: number, cols: number) => ({ data: Float64Array.from(values), rows, cols });
const X = matrix(diabetes.x, diabetes.n, diabetes.dx);
const Y = matrix(diabetes.y, diabetes.n, diabetes.dy);
const rows = (list: number[][]) => Float64Array.from(list.flat());

describe('against scikit-learn and scipy (diabetes: 4 + 6 columns; wine: 13 columns, 3 classes)', () => {
  // The bounds below are about 10× what was measured on this machine (in each comment: the worst over the k
  // components), so that a change that loses digits fails, where the bounds of 1e-4 and |cos| ≥ 0.999 let it pass.
  it('cca: correlations, directions and spans those of scipy\'s eigh of the pencil and of scikit-learn', async () => {
    const { k, exact, sklearn } = diabetes.cca;
    const model = await cca(X, Y, { k });
    for (let i = 0; i < k; i++) {
      expect(Math.abs(model.correlations[i] / exact.correlations[i] - 1)).toBeLessThan(2e-6); // 1.6e-7
      expect(Math.abs(model.correlations[i] - sklearn.correlations[i])).toBeLessThan(6e-7); // 5.7e-8
      expect(1 - rowCosine(model.xWeights, rows(exact.x), i, diabetes.dx)).toBeLessThan(5e-13); // 4.4e-14
      expect(1 - rowCosine(model.yWeights, rows(exact.y), i, diabetes.dy)).toBeLessThan(1.5e-11); // 1.4e-12
      expect(1 - rowCosine(model.xWeights, rows(sklearn.x), i, diabetes.dx)).toBeLessThan(3e-7); // 3.2e-8 (NIPALS)
      expect(1 - rowCosine(model.yWeights, rows(sklearn.y), i, diabetes.dy)).toBeLessThan(7e-8); // 6.7e-9
    }
    expect(spanDistance(model.xWeights, rows(exact.x), k, diabetes.dx)).toBeLessThan(1e-13); // 1.1e-14
    expect(spanDistance(model.yWeights, rows(exact.y), k, diabetes.dy)).toBeLessThan(1.2e-11); // 1.2e-12
  });

  it('pls: singular values those of numpy\'s SVD, weights and spans those of PLSSVD(scale=False)', async () => {
    const { k, exact, sklearn } = diabetes.pls;
    const model = await pls(X, Y, { k });
    for (let i = 0; i < k; i++) {
      expect(Math.abs(model.singularValues[i] / exact.singularValues[i] - 1)).toBeLessThan(1e-6); // 8.0e-8
      expect(1 - rowCosine(model.xWeights, rows(sklearn.x), i, diabetes.dx)).toBeLessThan(1e-13); // 2.2e-15
      expect(1 - rowCosine(model.yWeights, rows(sklearn.y), i, diabetes.dy)).toBeLessThan(1e-13); // 5.9e-15
    }
    expect(spanDistance(model.xWeights, rows(sklearn.x), k, diabetes.dx)).toBeLessThan(1e-13); // 1.9e-15
    expect(spanDistance(model.yWeights, rows(sklearn.y), k, diabetes.dy)).toBeLessThan(1e-13); // 6.3e-15
  });

  it('lda: eigenvalues those of scipy\'s eigh(Sb, Sw), ratios, scalings and their span those of solver=\'eigen\'', async () => {
    const { k, exact, sklearn } = wine.lda;
    const model = await lda(matrix(wine.x, wine.n, wine.d), wine.labels, { k });
    for (let i = 0; i < k; i++) {
      expect(Math.abs(model.eigenvalues[i] / exact.eigenvalues[i] - 1)).toBeLessThan(3e-7); // 2.4e-8
      expect(Math.abs(model.explainedVarianceRatio[i] - sklearn.explainedVarianceRatio[i])).toBeLessThan(1e-7); // 7.5e-9
      expect(1 - rowCosine(model.scalings, rows(sklearn.scalings), i, wine.d)).toBeLessThan(1e-12); // 6.8e-14
      // Both scaled so that vᵀ Sw v = 1: the same vectors up to sign.
      const sign = Math.sign(model.scalings[i * wine.d]) * Math.sign(sklearn.scalings[i][0]);
      for (let c = 0; c < wine.d; c++) {
        expect(Math.abs(model.scalings[i * wine.d + c] - sign * sklearn.scalings[i][c])).toBeLessThan(3e-6 * Math.hypot(...sklearn.scalings[i])); // 2.4e-7
      }
    }
    expect(spanDistance(model.scalings, rows(sklearn.scalings), k, wine.d)).toBeLessThan(1e-12); // 8.6e-14
    const predicted = model.predict(matrix(wine.x, wine.n, wine.d));
    expect(predicted.filter((label, r) => label === wine.labels[r]).length / wine.n).toBe(sklearn.accuracy);
  });
});
