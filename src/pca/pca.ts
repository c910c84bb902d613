// PCA by μ-EigenGame with no tuning. In memory: one pass of exact statistics in float64 (stats.ts), then the
// cheapest of three routes (choose.ts, routes.ts): the players on the covariance summed in one pass, on the Gram
// matrix when there are fewer rows than columns, or on the rows themselves; a float64 Rayleigh–Ritz rotation
// finishes each. Sources are read in minibatches (stream.ts).

import { cancellable } from '../devices/engine';
import { readMatrix, type MatrixInput } from '../io/matrix';
import { readMatrixOrSource, type MatrixSource } from '../io/source';
import { isSparseMatrix, type SparseMatrix } from '../io/sparse';
import { SparseRowSource } from '../io/sparse-stream';
import { describe } from '../describe';
import { chooseSolver, type Solver } from './choose';
import { checkMatrixShape, resolveOptions, type PCAOptions, type PCASettings } from './core';
import type { PCAModel } from './model';
import { Moments, pcaOfMoments } from './moments';
import { byCovariance, byData, byGram } from './routes';
import { pcaOfSparse } from './sparse';
import { pcaOfSparseStream } from './sparse-stream';
import { pcaOfSource } from './stream';

/**
 * Finds the top k principal components of X (n × d): a matrix in memory, a sparse matrix (scipy's csr or csc layout,
 * never densified; with center: false, the truncated SVD), a source read in minibatches (NpySource, CsvSource: files
 * larger than memory, browser Files, streams), a sparse file streamed in one pass (`openSparse`: the sparse
 * covariance route), or the Moments of rows read elsewhere. A source is closed on every path.
 */
export async function pca(X: MatrixInput | SparseMatrix | MatrixSource | SparseRowSource | Moments, options: PCAOptions): Promise<PCAModel> {
  // The options are checked inside: a source is closed even when they are bad.
  const run = <T>(fit: (input: T, settings: PCASettings) => Promise<PCAModel>, sparse = false) => (input: T) => {
    const settings = resolveOptions(options);
    if (!sparse && settings.solver.startsWith('sparse-')) {
      throw new RangeError(`solver ${describe(settings.solver)} is for a sparse matrix ({ format: 'csr' | 'csc', ... }); X is not one: use 'auto', 'covariance', 'gram' or 'data'`);
    }
    return cancellable(settings.signal, () => fit(input, settings));
  };
  if (X instanceof Moments) return run(pcaOfMoments)(X);
  if (isSparseMatrix(X)) return run(pcaOfSparse, true)(X);
  if (X instanceof SparseRowSource) {
    try {
      return await run(pcaOfSparseStream, true)(X);
    } finally {
      await X.close();
    }
  }
  return readMatrixOrSource(X, run(pcaInMemory), run(pcaOfSource));
}

async function pcaInMemory(X: MatrixInput, settings: PCASettings): Promise<PCAModel> {
  settings.signal?.throwIfAborted();
  const reader = readMatrix(X, 'X');
  const { rows: n, cols: d } = reader;
  const { k } = settings;
  checkMatrixShape(n, d, k);
  const route = { covariance: byCovariance, gram: byGram, data: byData }[chooseSolver(n, d, k, settings.solver as Solver | 'auto')];
  return route(reader, settings);
}
