// pca of a sparse matrix, never densified. Two routes, by cost (choose.ts):
// - sparse covariance: one pass over the sparse rows sums Σ x xᵀ (the products of each row's non-zeros, float64) on
//   the devices, each device a band of the operator's rows; the mean's share n μμᵀ (float64) is taken off after,
//   and the players play on the dense d × d operator as the covariance route's do (routes.ts solveSummed);
// - sparse data: the players play on X̃ᵀX̃ / n through two sparse × dense products a round (program.ts), X̃ = X − 1μᵀ
//   never formed. For columns too many for a d × d operator (text), or where the rounds cost less than the pass.
// The statistics (means, variances, the total) come from the original values in float64 (io/sparse.ts).

import { Engine, turn } from '../devices/engine';
import type { SparseMatrix, SparseReader } from '../io/sparse';
import { readSparseMatrix } from '../io/sparse';
import { sparseCosts, type SparseSolver } from './choose';
import { PLAY_SETTINGS, checkMatrixShape, componentsModel, type PCASettings } from './core';
import type { PCAModel } from './model';
import { padToPanels } from './pack';
import { solveSummed, type Summed } from './routes';
import { playTopK, playerCount } from './solve';
import { ColumnMoments, powerOfTwoScale } from './stats';

/** Entries copied between turns of the event loop. */
const COPY_SLICE = 1 << 20;

/** Sparse rows per job of the covariance pass: turns of the event loop, progress and aborts come between jobs. */
const PASS_ROWS = 2048;

/** The exact column statistics of a checked sparse matrix, as the dense routes keep them. */
export function sparseMoments(reader: SparseReader): ColumnMoments {
  const moments = new ColumnMoments(reader.cols);
  const mean = reader.means();
  moments.merge(reader.rows, mean, reader.squaredDeviations(mean));
  return moments;
}

/**
 * The sparse covariance pass: an engine whose operator's float64 sums hold Σ (x − μ)(x − μ)ᵀ (centred: Σ x xᵀ −
 * n μμᵀ, in float64) or Σ x xᵀ over the rows of `reader`, with `players` players; `reportPass` tells onProgress of
 * each job (Moments.of).
 */
export async function sumSparse(
  reader: SparseReader, settings: PCASettings, players: number, totalWork: number, reportPass = false,
): Promise<Summed> {
  const { rows: n, cols: d, nnz } = reader;
  const padded = padToPanels(d);
  const moments = sparseMoments(reader);
  const engine = await Engine.create(
    { d: padded, k: players, rowCapacity: padded, play: true, dense: true, sparse: { rows: n, cols: d, entries: nnz, route: 'covariance' } },
    PLAY_SETTINGS, { ...settings.engine, workPerStep: (reader.outerProducts() * PASS_ROWS) / n, totalWork },
  );
  try {
    const buffers = engine.sparse();
    buffers.indptr.set(reader.csr.indptr);
    buffers.indices.set(reader.csr.indices);
    buffers.data.set(reader.csr.data);
    const { sums } = engine.operator();
    sums.fill(0);
    for (let first = 0, step = 1; first < n; first += PASS_ROWS, step++) {
      const rows = Math.min(PASS_ROWS, n - first);
      await engine.run({ kind: 'sparse-covariance', first, rows }, undefined, settings.signal, 'in-thread');
      if (reportPass) {
        settings.onProgress?.({
          step, maxSteps: settings.maxSteps, batchSize: rows, utilities: new Float64Array(0), residuals: new Float64Array(0),
          residual: Infinity, remaining: Infinity, epoch: 1, rowsRead: first + rows,
        });
      }
    }
    if (settings.center) {
      const { mean } = moments;
      for (let i = 0; i < d; i++) {
        if (i % 256 === 0) await turn(settings.signal);
        const shared = n * mean[i];
        for (let j = i; j < d; j++) sums[i * padded + j] -= shared * mean[j];
      }
    }
    return { engine, moments, passes: 1 };
  } catch (error) {
    engine.dispose();
    throw error;
  }
}

async function bySparseCovariance(reader: SparseReader, settings: PCASettings): Promise<PCAModel> {
  const summed = await sumSparse(reader, settings, playerCount(settings.k, reader.cols), sparseCosts(reader, settings.k)['sparse-covariance']);
  try {
    return await solveSummed(summed, settings, 'sparse-covariance');
  } finally {
    summed.engine.dispose();
  }
}

async function bySparseData(reader: SparseReader, settings: PCASettings): Promise<PCAModel> {
  const { rows: n, cols: d, nnz } = reader;
  const players = playerCount(settings.k, d);
  const moments = sparseMoments(reader);
  // A power of two brings the values the kernels see near 1 (exact to apply and to undo).
  const scale = powerOfTwoScale(moments, settings.center, 'X');
  const engine = await Engine.create(
    { d, k: players, rowCapacity: 0, play: true, sparse: { rows: n, cols: d, entries: nnz, route: 'data' } },
    PLAY_SETTINGS, { ...settings.engine, workPerStep: 4 * nnz * players, totalWork: sparseCosts(reader, settings.k)['sparse-data'] },
  );
  try {
    const buffers = engine.sparse();
    const { csr, csc } = reader;
    buffers.indptr.set(csr.indptr);
    buffers.indices.set(csr.indices);
    buffers.colptr.set(csc.indptr);
    buffers.colIndices.set(csc.indices);
    // Scaled values in float32, in slices between turns of the event loop (a million entries is a few ms).
    for (let first = 0; first < nnz; first += COPY_SLICE) {
      await turn(settings.signal);
      const last = Math.min(nnz, first + COPY_SLICE);
      for (let e = first; e < last; e++) buffers.data[e] = csr.data[e] * scale;
      for (let e = first; e < last; e++) buffers.colData[e] = csc.data[e] * scale;
    }
    const mean = engine.mean();
    for (let c = 0; c < d; c++) mean[c] = settings.center ? moments.mean[c] * scale : 0;
    // The players play on the scaled X̃ᵀX̃ / n; the model's variances are X̃ᵀX̃ / (n − 1)'s.
    const unscale = n / (n - 1) / (scale * scale);
    // Two products a round, P = X̃ Vᵀ and Gᵀ = Xᵀ P, each an axpy of the players per stored entry: on wide text
    // (d = 60000, 30 entries a column) a check costs as much, and comes every few rounds (solve.ts productCheckEvery).
    const top = await playTopK(engine, 'sparse', n, d, settings, unscale, 2 * nnz * players);
    return componentsModel({
      vectors: top.vectors, width: d, d, values: top.values.map((value) => value * unscale),
      residuals: top.residuals.map((value) => value * unscale), ending: top.ending,
      totalVariance: moments.totalVariance(settings.center), mean: moments.subtracted(settings.center), columnMeans: moments.mean, n,
      backend: engine.backend, solver: 'sparse-data', converged: top.converged, remaining: top.remaining, settings,
      passes: 1 + 2 * top.rounds, rounds: top.rounds,
    });
  } finally {
    engine.dispose();
  }
}

/** pca of a sparse matrix: checked (readSparseMatrix), then the cheaper sparse route, or the one asked for. */
export async function pcaOfSparse(X: SparseMatrix, settings: PCASettings): Promise<PCAModel> {
  settings.signal?.throwIfAborted();
  const reader = readSparseMatrix(X, 'X');
  const { rows: n, cols: d } = reader;
  const { k } = settings;
  checkMatrixShape(n, d, k);
  const route = chooseSparseSolver(reader, k, settings.solver);
  return route === 'sparse-covariance' ? bySparseCovariance(reader, settings) : bySparseData(reader, settings);
}

/** The sparse route asked for ('covariance' and 'data' name the sparse ones), or the cheaper. */
export function chooseSparseSolver(reader: SparseReader, k: number, asked: PCASettings['solver']): SparseSolver {
  const costs = sparseCosts(reader, k);
  if (asked === 'gram') {
    throw new RangeError("solver 'gram' plays on XXᵀ from dense rows: a sparse matrix takes 'covariance' (its d × d covariance, one pass) or 'data' (a product per round), or 'auto'");
  }
  const wanted = asked === 'covariance' ? 'sparse-covariance' : asked === 'data' ? 'sparse-data' : asked;
  if (wanted === 'sparse-covariance' && costs['sparse-covariance'] === Infinity) {
    const padded = padToPanels(reader.cols);
    throw new RangeError(
      `solver '${asked}' needs a ${reader.cols} × ${reader.cols} matrix of ${12 * padded * padded} bytes, more than the budget: use solver 'data' or 'auto'`,
    );
  }
  if (wanted !== 'auto') return wanted;
  return costs['sparse-covariance'] <= costs['sparse-data'] ? 'sparse-covariance' : 'sparse-data';
}

