// PCA by μ-EigenGame with no tuning. In memory: one pass of exact statistics in float64 (stats.ts), then the
// cheapest of three routes (choose.ts, routes.ts): the players on the covariance summed in one pass, on the Gram
// matrix when there are fewer rows than columns, or on the rows themselves; a float64 Rayleigh–Ritz rotation
// finishes each. Sources are read in minibatches (stream.ts).

import { cancellable } from '../devices/engine';
import { readMatrix, type MatrixInput } from '../io/matrix';
import { isMatrixSource, type MatrixSource } from '../io/source';
import { checkDimensions } from '../game/options';
import { chooseSolver } from './choose';
import { resolveOptions, type PCAOptions, type PCASettings } from './core';
import type { PCAModel } from './model';
import { Moments, pcaOfMoments } from './moments';
import { byCovariance, byData, byGram } from './routes';
import { pcaOfSource } from './stream';

/**
 * Finds the top k principal components of X (n × d): a matrix in memory, a source read in minibatches (NpySource,
 * CsvSource: files larger than memory, browser Files, streams), or the Moments of rows read elsewhere.
 */
export async function pca(X: MatrixInput | MatrixSource | Moments, options: PCAOptions): Promise<PCAModel> {
  if (X instanceof Moments) {
    const settings = resolveOptions(options);
    return cancellable(settings.signal, () => pcaOfMoments(X, settings));
  }
  if (!isMatrixSource(X)) {
    const settings = resolveOptions(options);
    return cancellable(settings.signal, () => pcaInMemory(X, settings));
  }
  // A source is read to its end (or abandoned on an error): it is closed on every path, bad options included, so a
  // stream is released and no file handle outlives the fit.
  try {
    const settings = resolveOptions(options);
    return await cancellable(settings.signal, () => pcaOfSource(X, settings));
  } finally {
    await X.close();
  }
}

async function pcaInMemory(X: MatrixInput, settings: PCASettings): Promise<PCAModel> {
  settings.signal?.throwIfAborted();
  const reader = readMatrix(X, 'X');
  const { rows: n, cols: d } = reader;
  const { k } = settings;
  checkDimensions(d, k);
  if (n < 2) throw new RangeError(`X has ${n} row; PCA needs at least 2`);
  if (k > n) throw new RangeError(`k = ${k} is larger than the number of rows (${n})`);
  const route = { covariance: byCovariance, gram: byGram, data: byData }[chooseSolver(n, d, k, settings.solver)];
  return route(reader, settings);
}
