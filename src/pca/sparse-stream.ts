// pca of a sparse file larger than memory (io/sparse-stream.ts), in one pass: the sparse covariance route of
// sparse.ts with the engine's sparse buffers sized for a batch of rows and refilled batch by batch. Each row's products
// are added to the operator's float64 sums in row order, as the in-memory pass adds them, so the sums are the same
// bits; the column sums too (float64, row order), so the means and the centring are; the squared deviations are each
// batch's exact ones merged (ColumnMoments.merge), equal to the in-memory ones within float64 rounding.

import { Engine } from '../devices/engine';
import { OPERATOR_BUDGET_BYTES, sparseCosts } from './choose';
import { PLAY_SETTINGS, checkMatrixShape, type PCASettings } from './core';
import type { PCAModel } from './model';
import { padToPanels } from './pack';
import { solveSummed, type Summed } from './routes';
import { playerCount } from './solve';
import { PASS_ROWS, sparseCovarianceWork, takeOffMean } from './sparse';
import { ColumnMoments } from './stats';
import type { SparseRowSource } from '../io/sparse-stream';

/** Refuses a streamed fit whose d × d operator does not fit the budget, or a route other than the covariance. */
function checkStreamable(source: SparseRowSource, solver: PCASettings['solver']): void {
  const padded = padToPanels(source.cols);
  if (12 * padded * padded > OPERATOR_BUDGET_BYTES) {
    throw new RangeError(
      `${source.name} has ${source.cols} columns: a streamed fit sums their ${source.cols} × ${source.cols} covariance, ${12 * padded * padded} bytes, ` +
      `more than the budget of ${OPERATOR_BUDGET_BYTES}; read the file whole with readSparse (the CLI: without --stream) for the sparse data route`,
    );
  }
  if (!['auto', 'covariance', 'sparse-covariance'].includes(solver)) {
    throw new RangeError(
      `solver ${JSON.stringify(solver)}: a streamed sparse file is fitted by the sparse covariance route only ('auto', 'covariance' or 'sparse-covariance'); ` +
      "read it whole with readSparse for 'sparse-data' or 'sparse-gram'",
    );
  }
}

/**
 * The sparse covariance pass over a streamed file: an engine whose operator's float64 sums hold Σ (x − μ)(x − μ)ᵀ
 * (centred) or Σ x xᵀ over its rows, with `players` players. onProgress hears of each job (rows read), as a dense
 * source's pass tells of each batch. Reads the source once; the caller closes it.
 */
export async function sumSparseStream(source: SparseRowSource, settings: PCASettings, players: number): Promise<Summed> {
  const { rows: n, cols: d } = source;
  checkStreamable(source, settings.solver);
  const padded = padToPanels(d);
  // A batch holds fewer than batchEntries entries before its last row, and at most d in it (duplicates summed).
  const capacity = source.batchEntries;
  const entries = Math.min(2 ** 31 - 1, capacity + d);
  const perRow = source.entries / Math.max(1, n);
  const outerProducts = (n * perRow * (perRow + 1)) / 2;
  const engine = await Engine.create(
    { d: padded, k: players, rowCapacity: padded, play: true, dense: true, sparse: { rows: capacity, cols: d, entries, route: 'covariance' } },
    PLAY_SETTINGS,
    {
      ...settings.engine, workPerStep: sparseCovarianceWork(outerProducts, n, padded, players),
      totalWork: sparseCosts({ rows: n, cols: d, nnz: source.entries, outerProducts: () => outerProducts }, settings.k)['sparse-covariance'],
    },
  );
  try {
    const buffers = engine.sparse();
    const { sums } = engine.operator();
    sums.fill(0);
    const moments = new ColumnMoments(d);
    const columnSums = new Float64Array(d);
    let step = 1;
    for await (const { first: batchFirst, rows: batch } of source.batches(settings.signal)) {
      const { indptr, indices, data } = batch.csr;
      buffers.indptr.set(indptr);
      buffers.indices.set(indices);
      buffers.data.set(data);
      for (let e = 0; e < indices.length; e++) columnSums[indices[e]] += data[e];
      const mean = batch.means();
      moments.merge(batch.rows, mean, batch.squaredDeviations(mean));
      for (let first = 0; first < batch.rows; first += PASS_ROWS, step++) {
        const rows = Math.min(PASS_ROWS, batch.rows - first);
        await engine.run({ kind: 'sparse-covariance', first, rows }, undefined, settings.signal, 'in-thread');
        settings.onProgress?.({
          step, maxSteps: settings.maxSteps, batchSize: rows, utilities: new Float64Array(0), residuals: new Float64Array(0),
          residual: Infinity, remaining: Infinity, epoch: 1, rowsRead: batchFirst + first + rows,
        });
      }
    }
    // The means as the in-memory pass takes them (column sums in row order, over n), to the bit.
    for (let c = 0; c < d; c++) moments.mean[c] = columnSums[c] / n;
    if (settings.center) await takeOffMean(sums, padded, n, moments.mean, settings.signal);
    return { engine, moments, passes: 1 };
  } catch (error) {
    engine.dispose();
    throw error;
  }
}

/** pca of a streamed sparse file: one pass of the sparse covariance route, then the players on the operator (the caller closes it). */
export async function pcaOfSparseStream(source: SparseRowSource, settings: PCASettings): Promise<PCAModel> {
  settings.signal?.throwIfAborted();
  checkMatrixShape(source.rows, source.cols, settings.k);
  const summed = await sumSparseStream(source, settings, playerCount(settings.k, source.cols));
  try {
    return await solveSummed(summed, settings, 'sparse-covariance');
  } finally {
    summed.engine.dispose();
  }
}
