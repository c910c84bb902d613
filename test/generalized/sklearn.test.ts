// cca, pls and lda against scikit-learn and scipy on data sets bundled with scikit-learn, from a fixture computed
// once (scripts/sklearn-generalized.py; tests never run Python): the numbers of docs/generalized.md's side-by-side.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cca, lda, pls } from '../../src/entries/node';
import { rowCosine } from '../helpers/pencil-reference';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/sklearn-generalized.json', import.meta.url), 'utf8'));
const { diabetes, wine } = fixture;
const matrix = (values: number[], rows: number, cols: number) => ({ data: Float64Array.from(values), rows, cols });
const X = matrix(diabetes.x, diabetes.n, diabetes.dx);
const Y = matrix(diabetes.y, diabetes.n, diabetes.dy);
const rows = (list: number[][]) => Float64Array.from(list.flat());

describe('against scikit-learn and scipy (diabetes: 4 + 6 columns; wine: 13 columns, 3 classes)', () => {
  it('cca: correlations within 1e-4 of scipy\'s eigh of the pencil, directions those of scipy and scikit-learn', async () => {
    const { k, exact, sklearn } = diabetes.cca;
    const model = await cca(X, Y, { k });
    for (let i = 0; i < k; i++) {
      expect(Math.abs(model.correlations[i] / exact.correlations[i] - 1)).toBeLessThan(1e-4);
      expect(Math.abs(model.correlations[i] - sklearn.correlations[i])).toBeLessThan(1e-6);
      expect(rowCosine(model.xWeights, rows(exact.x), i, diabetes.dx)).toBeGreaterThan(0.999);
      expect(rowCosine(model.yWeights, rows(exact.y), i, diabetes.dy)).toBeGreaterThan(0.999);
      expect(rowCosine(model.xWeights, rows(sklearn.x), i, diabetes.dx)).toBeGreaterThan(0.999);
      expect(rowCosine(model.yWeights, rows(sklearn.y), i, diabetes.dy)).toBeGreaterThan(0.999);
    }
  });

  it('pls: singular values within 1e-4 of numpy\'s SVD, weights those of PLSSVD(scale=False)', async () => {
    const { k, exact, sklearn } = diabetes.pls;
    const model = await pls(X, Y, { k });
    for (let i = 0; i < k; i++) {
      expect(Math.abs(model.singularValues[i] / exact.singularValues[i] - 1)).toBeLessThan(1e-4);
      expect(rowCosine(model.xWeights, rows(sklearn.x), i, diabetes.dx)).toBeGreaterThan(0.999);
      expect(rowCosine(model.yWeights, rows(sklearn.y), i, diabetes.dy)).toBeGreaterThan(0.999);
    }
  });

  it('lda: eigenvalues within 1e-4 of scipy\'s eigh(Sb, Sw), ratios and scalings those of solver=\'eigen\'', async () => {
    const { k, exact, sklearn } = wine.lda;
    const model = await lda(matrix(wine.x, wine.n, wine.d), wine.labels, { k });
    for (let i = 0; i < k; i++) {
      expect(Math.abs(model.eigenvalues[i] / exact.eigenvalues[i] - 1)).toBeLessThan(1e-4);
      expect(Math.abs(model.explainedVarianceRatio[i] - sklearn.explainedVarianceRatio[i])).toBeLessThan(1e-4);
      expect(rowCosine(model.scalings, rows(sklearn.scalings), i, wine.d)).toBeGreaterThan(0.999);
      // Both scaled so that vᵀ Sw v = 1: the same vectors up to sign.
      const sign = Math.sign(model.scalings[i * wine.d]) * Math.sign(sklearn.scalings[i][0]);
      for (let c = 0; c < wine.d; c++) {
        expect(Math.abs(model.scalings[i * wine.d + c] - sign * sklearn.scalings[i][c])).toBeLessThan(1e-4 * Math.hypot(...sklearn.scalings[i]));
      }
    }
    const predicted = model.predict(matrix(wine.x, wine.n, wine.d));
    expect(predicted.filter((label, r) => label === wine.labels[r]).length / wine.n).toBe(sklearn.accuracy);
  });
});
