// Bad input to cca, pls and lda, and to their models' fromJSON: each case names the error type and the words the
// message must contain.

import { describe, expect, it } from 'vitest';
import { CCAModel, CsvSource, LDAModel, NpySource, PLSModel, cca, lda, pls } from '../../src/entries/node';
import { chunkedStream, npyBytes } from '../helpers/npy';
import { expectError } from '../helpers/expect-error';
import { ccaReference, ldaReference, rowCosine } from '../helpers/pencil-reference';

type Case = [label: string, run: () => unknown, type: ErrorConstructor, message: RegExp];

const rows = (n: number, d: number, seed: number) => Array.from({ length: n }, (_, r) => Array.from({ length: d }, (_, c) => Math.sin(seed + r * 1.3 + c * c * 0.7) + Math.cos(r * (c + 2))));
const X = rows(10, 3, 1);
const Y = rows(10, 2, 2);
const withColumn = (data: number[][], column: (row: number[], r: number) => number) => data.map((row, r) => [...row, column(row, r)]);
const labels = Array.from({ length: 10 }, (_, r) => r % 2);
const csvBytes = (data: number[][]) => new TextEncoder().encode(data.map((row) => row.join(',')).join('\n'));
const npy = (data: number[][], name: string) => new NpySource(npyBytes(data.flat(), data.length, data[0].length), { name });

const ccaCases: Case[] = [
  ['X and Y with different row counts', () => cca(X, Y.slice(1), { k: 1 }), RangeError, /^X has 10 rows but Y has 9: row i of X and row i of Y must be the same sample$/],
  ['sources with different row counts (known from their headers)', () => cca(npy(X, 'x.npy'), npy(Y.slice(1), 'y.npy'), { k: 1 }), RangeError, /^x\.npy has 10 rows but y\.npy has 9/],
  ['streams with different row counts (found when one ends)', () => cca(
    new CsvSource(chunkedStream(csvBytes(X), [64]), { name: 'x.csv' }),
    new CsvSource(chunkedStream(csvBytes(Y.slice(1)), [64]), { name: 'y.csv' }), { k: 1, batchSize: 4 },
  ), RangeError, /^y\.csv ends after 9 rows but x\.csv has more: row i of X and row i of Y must be the same sample$/],
  ['k above min(dx, dy)', () => cca(X, Y, { k: 3 }), RangeError, /^k = 3 is larger than min\(dx, dy\) = 2: cca has at most that many pairs of directions$/],
  ['k a string', () => cca(X, Y, { k: '1' as unknown as number }), TypeError, /^k must be a positive integer, got "1"$/],
  ['more columns than rows, no regularization', () => cca(rows(5, 6, 3), rows(5, 2, 4), { k: 1 }), RangeError, /^X has 6 columns and 5 rows: its covariance has rank at most 4, so it is singular; pass regularization/],
  ['a constant column', () => cca(X.map((row) => [row[0], 7, row[2]]), Y, { k: 1 }), RangeError, /^X's column 1 is constant, so X's covariance is singular: pass regularization .* or drop the column$/],
  ['a column that is a combination of others', () => cca(withColumn(X, (row) => row[0] - 2 * row[2]), Y, { k: 1 }), RangeError, /^X's covariance is singular: its column 3 is \(almost\) a linear combination of the columns before it; pass regularization/],
  ['a dependent column named by its header', () => cca(new CsvSource(new TextEncoder().encode(`a,b,c,y\n${Y.map((row, r) => [row[0], row[1], 2 * row[0], X[r][1]].join(',')).join('\n')}\n`), { name: 'f.csv' }), { k: 1, x: ['a', 'b', 'c'], y: ['y'] }), RangeError, /^X's covariance is singular: its column "c" is \(almost\) a linear combination/],
  ['Y with no variance', () => cca(X, Y.map(() => [1, 2]), { k: 1 }), RangeError, /^Y has no variance: every row is the same$/],
  ['regularization below 0', () => cca(X, Y, { k: 1, regularization: -1 }), RangeError, /^regularization must be a finite number ≥ 0, got -1$/],
  ['regularization a string', () => cca(X, Y, { k: 1, regularization: '1e-3' as unknown as number }), TypeError, /^regularization must be a number ≥ 0, got "1e-3"$/],
  ['one input without its columns', () => cca(withColumn(X, () => 1), { k: 1 }), TypeError, /^with one input, the options must say which columns are X and which are Y/],
  ['a column past the end', () => cca(X, { k: 1, x: [0], y: [3] }), RangeError, /^y names column 3, but the input has 3 columns \(0 to 2\)$/],
  ['a column named without a header', () => cca(X, { k: 1, x: [0], y: ['b'] }), TypeError, /^y names column "b", but the input has no header/],
  ['a column named twice', () => cca(X, { k: 1, x: [0, 0], y: [1] }), RangeError, /^x names column 0 twice$/],
  ['a column in both views', () => cca(X, { k: 1, x: [0, 1], y: [1] }), RangeError, /^x and y both name column 1: a column in both views correlates perfectly with itself \(ρ = 1\); give each column to one view$/],
  ['a column in both views, by name in a file', () => pls(new CsvSource(new TextEncoder().encode(`a,b,c\n${X.map((row) => row.join(',')).join('\n')}\n`), { name: 'f.csv' }), { k: 1, x: ['a', 'b'], y: ['b'] }), RangeError, /^x and y both name column "b"/],
  ['a source beside a matrix', () => cca(npy(X, 'x.npy'), Y, { k: 1 }), TypeError, /^X and Y must both be sources or both be in memory/],
  ['kPerDevice', () => cca(X, Y, { k: 1, kPerDevice: 1 as never }), TypeError, /^kPerDevice splits an EigenGame's players between devices; cca splits/],
  ['no options', () => cca(X, Y, undefined as never), TypeError, /^cca needs an options object like \{ k: 2 \}, got undefined$/],
  ['a NaN in Y', () => cca(X, Y.map((row, r) => (r === 4 ? [row[0], NaN] : row)), { k: 1 }), RangeError, /^Y has a value that is not a number at row 4, column 1: NaN$/],
];

const plsCases: Case[] = [
  ['X and Y with different row counts', () => pls(X.slice(2), Y, { k: 1 }), RangeError, /^X has 8 rows but Y has 10/],
  ['k above min(dx, dy)', () => pls(X, Y, { k: 3 }), RangeError, /^k = 3 is larger than min\(dx, dy\) = 2: pls has at most that many pairs of directions$/],
  ['a single row', () => pls(X.slice(0, 1), Y.slice(0, 1), { k: 1 }), RangeError, /X has no variance: every row is the same|needs at least 2 rows/],
];

const ldaCases: Case[] = [
  ['a single class', () => lda(X, X.map(() => 'a'), { k: 1 }), RangeError, /^lda needs at least two classes, but every label is "a"$/],
  ['k above classes − 1', () => lda(X, labels, { k: 2 }), RangeError, /^k = 2 is larger than min\(classes − 1, d\) = 1: lda has at most that many discriminant directions \(2 classes, d = 3\)$/],
  ['labels and rows of different counts', () => lda(X, labels.slice(1), { k: 1 }), RangeError, /^labels has 9 values but X has 10 rows: one label per row$/],
  ['labels of two kinds', () => lda(X, [1, 2, 'b', ...labels.slice(3)] as never, { k: 1 }), TypeError, /^labels must be all numbers or all strings: labels\[2\] is "b", labels\[0\] is 1$/],
  ['a NaN label', () => lda(X, labels.map((label, r) => (r === 3 ? NaN : label)), { k: 1 }), RangeError, /^labels\[3\] is NaN: a label must be a finite number or a string$/],
  ['more columns than rows within the classes', () => lda(rows(6, 5, 5), [0, 1, 0, 1, 0, 1], { k: 1 }), RangeError, /^X has 5 columns and 6 rows in 2 classes: the within-class covariance has rank at most n − classes = 4, so it is singular; pass regularization/],
  ['a column constant within every class', () => lda(X.map((row, r) => [row[0], r % 2, row[2]]), labels, { k: 1 }), RangeError, /^X's column 1 is constant within every class, so the within-class covariance is singular: pass regularization/],
  ['center', () => lda(X, labels, { k: 1, center: false }), TypeError, /^center does not apply to lda: it always centres each class at its own mean \(got false\)$/],
  ['labels twice', () => lda(X, labels, { k: 1, labels: 0 }), TypeError, /^labels are given twice/],
  ['no labels', () => lda(X, { k: 1 }), TypeError, /^lda needs labels: an array, lda\(X, labels, options\), or a column/],
  ['a label column past the end', () => lda(X, { k: 1, labels: 5 }), RangeError, /^options.labels names column 5, but the input has 3 columns/],
  ['a stream (read once)', () => lda(new NpySource(chunkedStream(npyBytes(withColumn(X, (_, r) => r % 2).flat(), 10, 4), [64]), { name: 's.npy' }), { k: 1, labels: 3 }), RangeError, /^lda reads s\.npy twice \(the class means, then the within-class covariance\), and it is a stream that can be read once/],
  ['an infinite value', () => lda(X.map((row, r) => (r === 2 ? [row[0], Infinity, row[2]] : row)), labels, { k: 1 }), RangeError, /^X has an infinite value at row 2, column 1: Infinity$/],
];

describe('bad input to cca', () => {
  it.each(ccaCases)('%s', async (_label, run, type, message) => expectError(run, type, message));

  it('regularization makes a singular view fit: the float64 answer with Cxx + ρI and Cyy + ρI', async () => {
    const [x, y] = [rows(5, 6, 3), rows(5, 2, 4)];
    const model = await cca(x, y, { k: 1, regularization: 1e-2 });
    const reference = ccaReference(Float64Array.from(x.flat()), Float64Array.from(y.flat()), 5, 6, 2, 1, 1e-2);
    // The model reports the correlation of its variates (weights of unit variance): that of the reference's.
    const variance = (a: number[], b: number[]) => {
      const [ma, mb] = [a, b].map((v) => v.reduce((p, q) => p + q) / v.length);
      return a.reduce((sum, value, r) => sum + (value - ma) * (b[r] - mb), 0) / (a.length - 1);
    };
    const variates = (data: number[][], weights: ArrayLike<number>) => data.map((row) => row.reduce((sum, value, c) => sum + value * weights[c], 0));
    const [u, w] = [variates(x, reference.x), variates(y, reference.y)];
    const correlation = variance(u, w) / Math.sqrt(variance(u, u) * variance(w, w));
    // Measured: correlation 1.9e-8 off, 1 − |cos| of the weights 6.2e-11 (x) and 1.6e-11 (y), variance of the x
    // variate 1.6e-8 off 1; the bounds are about 10× those.
    expect(Math.abs(model.correlations[0] - correlation)).toBeLessThan(2e-7);
    expect(1 - rowCosine(model.xWeights, reference.x, 0, 6)).toBeLessThan(1e-9);
    expect(1 - rowCosine(model.yWeights, reference.y, 0, 2)).toBeLessThan(1e-9);
    const xVariate = variates(x, model.xWeights);
    expect(Math.abs(variance(xVariate, xVariate) - 1)).toBeLessThan(2e-7);
  });
});

describe('bad input to pls', () => {
  it.each(plsCases)('%s', async (_label, run, type, message) => expectError(run, type, message));
});

describe('bad input to lda', () => {
  it.each(ldaCases)('%s', async (_label, run, type, message) => expectError(run, type, message));

  it('regularization makes a singular within-class covariance fit: the float64 answer with Sw + ρI', async () => {
    const x = rows(6, 5, 5);
    const classes = [0, 1, 0, 1, 0, 1];
    const model = await lda(x, classes, { k: 1, regularization: 1e-2 });
    const reference = ldaReference(Float64Array.from(x.flat()), classes, 6, 5, 1, 1e-2);
    // Measured: eigenvalue 7.9e-7 relative, 1 − |cos| 2.8e-14; the bounds are about 10× and 35× those.
    expect(Math.abs(model.eigenvalues[0] / reference.values[0] - 1)).toBeLessThan(1e-5);
    expect(1 - rowCosine(model.scalings, reference.vectors, 0, 5)).toBeLessThan(1e-12);
  });
});

const ccaJSON = () => ({
  format: 'eigengame-cca', version: 1, k: 1, dx: 2, dy: 1, nSamples: 10, converged: true, regularization: 0,
  correlations: [0.5], xWeights: [1, 2], yWeights: [3], xMean: [0, 0], yMean: [0],
});
const plsJSON = () => ({
  format: 'eigengame-pls', version: 1, k: 1, dx: 2, dy: 1, nSamples: 10, converged: true,
  singularValues: [0.5], xWeights: [0.6, 0.8], yWeights: [1], xMean: [0, 0], yMean: [0],
});
const ldaJSON = () => ({
  format: 'eigengame-lda', version: 1, k: 1, d: 2, nSamples: 10, converged: true, regularization: 0, classes: ['a', 'b'],
  eigenvalues: [2], explainedVarianceRatio: [1], scalings: [1, 0], mean: [0, 0], means: [1, 0, -1, 0],
});

const jsonCases: Case[] = [
  ['another format', () => CCAModel.fromJSON({ ...ccaJSON(), format: 'eigengame-pca' } as never), TypeError, /^CCAModel.fromJSON needs the output of CCAModel.prototype.toJSON\(\)$/],
  ['another version', () => PLSModel.fromJSON({ ...plsJSON(), version: 2 } as never), RangeError, /^unsupported PLSModel version 2 \(this version reads 1\)$/],
  ['k above min(dx, dy)', () => CCAModel.fromJSON({ ...ccaJSON(), k: 2, correlations: [0.5, 0.4], xWeights: [1, 2, 3, 4], yWeights: [3, 4] } as never), RangeError, /^model.k = 2 is larger than min\(dx, dy\) = 1/],
  ['a correlation above 1', () => CCAModel.fromJSON({ ...ccaJSON(), correlations: [1.5] } as never), RangeError, /^model.correlations\[0\] is 1.5: a canonical correlation must be in \[0, 1\]$/],
  ['weights of the wrong length', () => CCAModel.fromJSON({ ...ccaJSON(), xWeights: [1] } as never), RangeError, /^model.xWeights must be an array of 2 numbers$/],
  ['a weight that is a string', () => CCAModel.fromJSON({ ...ccaJSON(), yWeights: ['3'] } as never), RangeError, /^model.yWeights has a value that is not a finite number at index 0: "3"$/],
  ['converged not a boolean', () => CCAModel.fromJSON({ ...ccaJSON(), converged: 'yes' } as never), TypeError, /^model.converged must be a boolean, got "yes"$/],
  ['one sample', () => PLSModel.fromJSON({ ...plsJSON(), nSamples: 1 } as never), RangeError, /^model.nSamples must be at least 2/],
  ['weights that are not unit rows', () => PLSModel.fromJSON({ ...plsJSON(), xWeights: [1, 1] } as never), RangeError, /^model.xWeights row 0 has norm 1.414\d*: weights must be unit rows/],
  ['a negative singular value', () => PLSModel.fromJSON({ ...plsJSON(), singularValues: [-1] } as never), RangeError, /^model.singularValues\[0\] is -1: a singular value must be ≥ 0$/],
  ['one class', () => LDAModel.fromJSON({ ...ldaJSON(), classes: ['a'] } as never), RangeError, /^model.classes must be an array of at least two labels$/],
  ['classes of two kinds', () => LDAModel.fromJSON({ ...ldaJSON(), classes: ['a', 2] } as never), TypeError, /^model.classes must hold finite numbers or strings, all of one kind: index 1 is 2$/],
  ['a class twice', () => LDAModel.fromJSON({ ...ldaJSON(), classes: ['a', 'a'] } as never), RangeError, /^model.classes has a label twice$/],
  ['ratios summing above 1', () => LDAModel.fromJSON({ ...ldaJSON(), k: 1, explainedVarianceRatio: [1.5] } as never), RangeError, /^model.explainedVarianceRatio\[0\] is 1.5: a share must be in \[0, 1\]$/],
  ['a negative regularization', () => LDAModel.fromJSON({ ...ldaJSON(), regularization: -1 } as never), RangeError, /^model.regularization must be a finite number ≥ 0, got -1$/],
  ['means of the wrong length', () => LDAModel.fromJSON({ ...ldaJSON(), means: [1, 0] } as never), RangeError, /^model.means must be an array of 4 numbers$/],
];

describe('bad model files', () => {
  it.each(jsonCases)('%s', async (_label, run, type, message) => expectError(run, type, message));

  it('every well-formed file loads', () => {
    expect(CCAModel.fromJSON(ccaJSON() as never).k).toBe(1);
    expect(PLSModel.fromJSON(plsJSON() as never).k).toBe(1);
    expect(LDAModel.fromJSON(ldaJSON() as never).predict([[2, 0], [-3, 1]])).toEqual(['a', 'b']);
  });
});
