// PCA by μ-EigenGame with no tuning: the data is loaded into the kernels' memory once (shuffled, checked, its
// mean taken), each player's step size is scaled from an estimate of its own eigenvalue, minibatches grow until
// they are the whole data, and a float64 Rayleigh–Ritz step finishes the job.

import { checkCopiedRows, copyRowsUnchecked, readMatrix, type MatrixInput, type MatrixReader } from '../io/matrix';
import { Engine, cancellable } from '../devices/engine';
import { randomRows } from '../game/game';
import type { PCAModel } from './model';
import { checkDimensions } from '../game/options';
import {
  PCA_SETTINGS, checkOverflow, checkSpread, largestMagnitude, orthonormalVectors, resolveOptions, ritzModel,
  warnNotConverged, type PCAOptions, type PCASettings,
} from './core';
import { Rng } from '../math/rng';
import { pcaOfSource } from './stream';
import { isMatrixSource, type MatrixSource } from '../io/source';

/**
 * Finds the top k principal components of X (n × d): a matrix in memory, or a source read in minibatches
 * (NpySource, CsvSource: files larger than memory, browser Files, streams).
 */
export async function pca(X: MatrixInput | MatrixSource, options: PCAOptions): Promise<PCAModel> {
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
  const rng = Rng.fromSeed(settings.seed);

  const engine = await Engine.create(
    { d, k, rowCapacity: n }, PCA_SETTINGS, { ...settings.engine, workPerStep: 4 * n * d * k },
  );
  try {
    const order = rng.permutation(n);
    copyRowsUnchecked(reader, engine, order);
    // One pass for the means that also checks the values: a column sum is finite only if every value in it is.
    const sums = engine.columnSums(n);
    if (!sums.every(Number.isFinite)) checkCopiedRows(reader, 'X', engine, order);
    const mean = settings.center ? sums.map((sum) => sum / n) : new Float64Array(d);
    engine.mean().set(mean);
    const sumOfSquares = engine.centerRows(0, n);
    checkSpread('X', sumOfSquares, n * d, settings.center);
    checkOverflow('X', sumOfSquares, n, () => largestValue(reader));
    const totalVariance = sumOfSquares / (n - 1);
    engine.vectors().set(randomRows(rng, k, d));
    engine.normalize(k);
    const { maxSteps, tol, onProgress } = settings;
    const end = await engine.run(
      { kind: 'pca', rows: n, d, maxSteps, tol },
      onProgress && ((report) => onProgress({
        step: report.steps, maxSteps, batchSize: report.batchSize, utilities: report.utilities,
        remaining: report.remaining,
      })),
      settings.signal,
    );
    const model = await rayleighRitz(engine, n, mean, totalVariance, end.converged, settings.signal);
    if (!end.converged) {
      warnNotConverged(settings, `maxSteps = ${maxSteps} steps`, end.remaining, 'raise maxSteps or tol');
    }
    return model;
  } finally {
    engine.dispose();
  }
}

/** The largest |value| of a matrix input. */
function largestValue(reader: MatrixReader): number {
  let largest = 0;
  for (let r = 0; r < reader.rows; r++) largest = Math.max(largest, largestMagnitude(reader.row(r)));
  return largest;
}

/** The final Rayleigh–Ritz step over all resident rows (the projection and Gram partials on the devices). */
async function rayleighRitz(
  engine: Engine, n: number, mean: Float64Array, totalVariance: number, converged: boolean, signal?: AbortSignal,
): Promise<PCAModel> {
  const basis = orthonormalVectors(engine, 'X');
  const covariance = await engine.projectedGram(n, signal);
  for (let i = 0; i < covariance.length; i++) covariance[i] /= n - 1;
  return ritzModel(engine, basis, covariance, n, mean, totalVariance, converged);
}
