// pca of a sparse matrix, never densified. Three routes, by cost (choose.ts):
// - sparse covariance: one pass over the sparse rows sums Σ x xᵀ (the products of each row's non-zeros, float64) on
//   the devices, each device a band of the operator's rows; the mean's share n μμᵀ (float64) is taken off after,
//   and the players play on the dense d × d operator as the covariance route's do (routes.ts solveSummed);
// - sparse data: the players play on X̃ᵀX̃ / n through two sparse × dense products a round (program.ts), X̃ = X − 1μᵀ
//   never formed. For columns too many for a d × d operator (text), or where the rounds cost less than the pass;
// - sparse Gram (n < d): the same two products in the other order, the players of n values on X̃X̃ᵀ / n (the same
//   eigenvalues), so that their own work each round (p² values per coordinate) is on n coordinates instead of d; the
//   components are X̃ᵀu, normalised, each held to its own residual on X̃ᵀX̃ / n before the fit stops.
// The statistics (means, variances, the total) come from the original values in float64 (io/sparse.ts).

import { Engine, turn } from '../devices/engine';
import type { LanePanel } from '../devices/memory';
import type { SparseMatrix, SparseReader } from '../io/sparse';
import { readSparseMatrix, scaleInto, type Compressed } from '../io/sparse';
import { dot } from '../math/linalg';
import { sparseCosts, type SparseSolver } from './choose';
import { PLAY_SETTINGS, checkMatrixShape, componentsModel, type PCASettings } from './core';
import type { PCAModel } from './model';
import { padToPanels } from './pack';
import { solveSummed, type Summed } from './routes';
import { play, playTopK, playerCount } from './solve';
import { ColumnMoments, powerOfTwoScale } from './stats';
import type { Ending } from '../devices/players';

/** Entries copied between turns of the event loop. */
const COPY_SLICE = 1 << 20;

/** Sparse rows per job of the covariance pass: turns of the event loop, progress and aborts come between jobs. */
export const PASS_ROWS = 2048;

/**
 * The work of a step of the sparse covariance route's engine, which sets how many devices 'auto' takes: the larger
 * of a pass job's outer products (PASS_ROWS rows of the matrix's `outerProducts` over n) and a round of the players
 * on the dense operator after it (2 padded² flops a player). The pass alone, a few million flops a job on a
 * single-cell matrix, kept the rounds on one device beside warm workers.
 */
export function sparseCovarianceWork(outerProducts: number, n: number, padded: number, players: number): number {
  return Math.max((outerProducts * PASS_ROWS) / Math.max(1, n), 2 * padded * padded * players);
}

/** The exact column statistics of a checked sparse matrix, as the dense routes keep them. */
export function sparseMoments(reader: SparseReader): ColumnMoments {
  const moments = new ColumnMoments(reader.cols);
  const mean = reader.means();
  moments.merge(reader.rows, mean, reader.squaredDeviations(mean));
  return moments;
}

/**
 * Centres the sparse covariance pass's sums Σ x xᵀ (upper triangle, row stride `padded`) of n rows: − n μμᵀ, in
 * float64, with turns of the event loop.
 */
export async function takeOffMean(sums: Float64Array, padded: number, n: number, mean: Float64Array, signal?: AbortSignal): Promise<void> {
  for (let first = 0; first < mean.length; first += 256) {
    await turn(signal);
    takeOffRows(sums, padded, n, mean, first, Math.min(mean.length, first + 256));
  }
}

/** takeOffMean's rows [first, last), in a plain function (V8 optimizes a loop of an async function late: io/sparse.ts scaleInto). */
function takeOffRows(sums: Float64Array, padded: number, n: number, mean: Float64Array, first: number, last: number): void {
  for (let i = first; i < last; i++) {
    const shared = n * mean[i];
    for (let j = i; j < mean.length; j++) sums[i * padded + j] -= shared * mean[j];
  }
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
    PLAY_SETTINGS, { ...settings.engine, workPerStep: sparseCovarianceWork(reader.outerProducts(), n, padded, players), totalWork },
  );
  try {
    await engine.touchHostBuffers(settings.signal);
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
    if (settings.center) await takeOffMean(sums, padded, n, moments.mean, settings.signal);
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
  const { engine, moments, scale, players } = await productEngine(reader, settings, 'data');
  try {
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

/**
 * The engine of a product route ('data': players of d values; 'gram': of n values), with the matrix in its sparse
 * buffers: its rows and its columns, values × `scale` in float32 (a power of two that brings the values the kernels
 * see near 1: exact to apply and to undo), in slices between turns of the event loop (a million entries is a few ms).
 */
async function productEngine(
  reader: SparseReader, settings: PCASettings, route: 'data' | 'gram',
): Promise<{ engine: Engine; moments: ColumnMoments; scale: number; players: number }> {
  const { rows: n, cols: d, nnz } = reader;
  const players = playerCount(settings.k, route === 'gram' ? n : d);
  const engine = await Engine.create(
    { d: route === 'gram' ? n : d, k: players, rowCapacity: 0, play: true, sparse: { rows: n, cols: d, entries: nnz, route, centred: settings.center } },
    PLAY_SETTINGS, { ...settings.engine, workPerStep: 4 * nnz * players, totalWork: sparseCosts(reader, settings.k)[`sparse-${route}`] },
  );
  try {
    // The statistics here while the workers take the new engine's memory (they start on it as the engine is made).
    const moments = sparseMoments(reader);
    const scale = powerOfTwoScale(moments, settings.center, 'X');
    await engine.touchHostBuffers(settings.signal);
    const buffers = engine.sparse();
    const { indptr, indices, data } = reader.csr;
    buffers.indptr.set(indptr);
    buffers.indices.set(indices);
    for (let first = 0; first < nnz; first += COPY_SLICE) {
      await turn(settings.signal);
      scaleInto(data, buffers.data, first, Math.min(nnz, first + COPY_SLICE), scale);
    }
    await reader.writeColumns({ indptr: buffers.colptr, indices: buffers.colIndices, data: buffers.colData }, scale, COPY_SLICE, settings.signal);
    return { engine, moments, scale, players };
  } catch (error) {
    engine.dispose();
    throw error;
  }
}

/** How many times the Gram route tightens its players' tol when a component's own residual is above tol. */
const MOST_TIGHTENINGS = 3;

async function bySparseGram(reader: SparseReader, settings: PCASettings): Promise<PCAModel> {
  const { rows: n, cols: d, nnz } = reader;
  const { engine, moments, scale, players } = await productEngine(reader, settings, 'gram');
  try {
    const buffers = engine.sparse();
    const { csr } = reader;
    // The centring rows: ones, and X̃μ of the scaled values (float64, then float32); zeros without centring.
    const mean = moments.subtracted(settings.center);
    if (settings.center) writeCentring(csr, mean, scale, buffers.centring);
    const unscale = n / (n - 1) / (scale * scale);
    const work = 2 * nnz * players;
    // The players converge on X̃X̃ᵀ; each component w = X̃ᵀu / ‖X̃ᵀu‖ must be an eigenvector of C to tol on its own.
    // Its residual ‖X̃ᵀ r‖ / ‖X̃ᵀu‖ (r = X̃X̃ᵀu − θu) is at most ‖r‖ √(λ / θ) for the λ of the directions r points to: a
    // fit whose players met tol, but whose components did not, plays on with tol tightened by the shortfall.
    let tol = settings.tol;
    let rounds = 0;
    let ending: Ending = 'cap';
    for (let tightenings = 0; ; tightenings++) {
      const top = await play(engine, 'sparse-gram', n, n, { ...settings, tol }, unscale, work, tightenings > 0 ? rounds : undefined);
      rounds += top.rounds;
      const values = top.values.map((value) => value * unscale);
      // The components before their residuals (a fit that then tightens tol, below float32's floor, makes them again):
      // both read the Ritz vectors from the float64 product's lanes, and the residuals' product writes over them.
      const count = values.length;
      // The vectors' lanes: an odd count padded with a zero lane (the float64 product's f64x2 groups).
      const lanes = count + (count & 1);
      const ritz = ritzLanes(engine, count, lanes);
      const components = await backProject(engine, count, lanes, ritz.sums, mean, scale, settings.signal);
      const residuals = (await componentResiduals(engine, top.values, lanes, ritz.lengths, settings.signal)).map((value) => value * unscale);
      const limit = settings.tol * Math.abs(values[0]);
      const worst = residuals.reduce((most, residual) => Math.max(most, residual), 0);
      const met = worst <= limit;
      // Players that met every tightened tol while their components did not stand at float32's floor: 'stagnant',
      // whose warning gives the tol that accepts them; rounds run out first: the cap.
      ending = met || !top.converged ? top.ending : tightenings === MOST_TIGHTENINGS && rounds < settings.maxSteps ? 'stagnant' : 'cap';
      if (met || !top.converged || tightenings === MOST_TIGHTENINGS || rounds >= settings.maxSteps) {
        return componentsModel({
          vectors: components, width: d, d, values, residuals, ending,
          totalVariance: moments.totalVariance(settings.center), mean, columnMeans: moments.mean, n,
          backend: engine.backend, solver: 'sparse-gram', converged: top.converged && met, remaining: top.remaining, settings,
          passes: 1 + 2 * rounds + 2 * (tightenings + 1), rounds,
        });
      }
      tol *= Math.max(0.1, Math.min(0.5, limit / worst));
    }
  } finally {
    engine.dispose();
  }
}

/** The Gram route's centring rows: ones, and X̃μ of the values × scale (float64, then float32). */
function writeCentring(csr: Compressed, mean: Float64Array, scale: number, centring: Float32Array): void {
  const n = csr.indptr.length - 1;
  const shift = dot(mean, mean);
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let e = csr.indptr[r]; e < csr.indptr[r + 1]; e++) sum += csr.data[e] * mean[csr.indices[e]];
    centring[r] = 1;
    centring[n + r] = (sum - shift) * scale * scale;
  }
}

/**
 * The top `count` Ritz vectors of the players' last check, y_i = Σ_j W_ij v_j (assembly/combine64.ts, float64, in
 * slices of columns that fit the players' scratch), unnormalised, transposed into the Gram route's float64 vectors
 * (rows of `lanes`; a lane past `count` zero), where the components' product reads them. Returns their sums and
 * lengths.
 */
function ritzLanes(engine: Engine, count: number, lanes: number): { sums: Float64Array; lengths: Float64Array } {
  const { k: p, d: n } = engine;
  const { kernels, plan, memory } = engine.hostKernels();
  const buffers = plan.players!;
  const transposed = new Float64Array(memory.buffer, plan.sparse!.vectors64, n * lanes);
  const sums = new Float64Array(count);
  const squares = new Float64Array(count);
  const columns = Math.max(1, Math.floor((2 * n) / count));
  for (let first = 0; first < n; first += columns) {
    const width = Math.min(columns, n - first);
    kernels.combineRows64(buffers.ritz, count, p, plan.v, n, first, width, buffers.acc, width);
    intoLanes(new Float64Array(memory.buffer, buffers.acc, count * width), count, width, first, transposed, lanes, sums, squares);
  }
  return { sums, lengths: squares.map(Math.sqrt) };
}

/**
 * The Gram route's components, w_i = X̃ᵀy_i / ‖X̃ᵀy_i‖ for the Ritz vectors y_i in the float64 vectors' lanes
 * (ritzLanes; `sums` their sums), X̃ = X − 1 meanᵀ of the kernels' (scaled, float32) values: summed in float64 on the
 * devices ('back-project' jobs of as many columns as the plan's block holds, assembly/sparsetimes64.ts: f64 lanes
 * over the vectors), the centring here, then rounded to float32 (the model's components). Float32 products, as the
 * devices make them, put about 1e-6·θ₁ into the components' residuals on the bench's text (its frequent words'
 * columns sum thousands of entries), more than tol.
 */
async function backProject(
  engine: Engine, count: number, lanes: number, sums: Float64Array, mean: Float64Array, scale: number, signal?: AbortSignal,
): Promise<Float32Array> {
  const { plan, memory } = engine.hostKernels();
  const sparse = plan.sparse!;
  const { cols: d } = sparse;
  // The components' values rounded to float32 as they come, their squared norms summed in float64 from the values
  // before rounding; each row scaled to unit length at the end (a second rounding: within one float32 ulp).
  const components = new Float32Array(count * d);
  const squares = new Float64Array(count);
  const block = Math.floor(sparse.columns64Bytes / (lanes * 8));
  for (let first = 0; first < d; first += block) {
    const columns = Math.min(block, d - first);
    await engine.run({ kind: 'back-project', first, count: columns, lanes }, undefined, signal);
    centreBlock(new Float64Array(memory.buffer, sparse.columns64, columns * lanes), lanes, first, columns, mean, scale, sums, components, d, squares);
  }
  scaleRows(components, d, squares.map((square) => (square > 0 ? 1 / Math.sqrt(square) : 0)));
  return components;
}

// The loops over every value below are plain functions, not in the async ones that call them: V8 optimizes a loop
// of an async function late (io/sparse.ts scaleInto), and these run once a fit.

/**
 * A slice of `width` columns of `count` rows (`slice`, row after row) into `transposed`'s rows [first, first +
 * width) of `lanes` (a lane past count zero), their sums and squares added to `sums` and `squares`.
 */
function intoLanes(
  slice: Float64Array, count: number, width: number, first: number, transposed: Float64Array, lanes: number, sums: Float64Array,
  squares: Float64Array,
): void {
  for (let i = 0; i < count; i++) {
    let sum = 0;
    let square = 0;
    for (let c = 0; c < width; c++) {
      const value = slice[i * width + c];
      transposed[(first + c) * lanes + i] = value;
      sum += value;
      square += value * value;
    }
    sums[i] += sum;
    squares[i] += square;
  }
  for (let lane = count; lane < lanes; lane++) {
    for (let c = 0; c < width; c++) transposed[(first + c) * lanes + lane] = 0;
  }
}

/**
 * The components' columns [first, first + columns) from a block of Xᵀ u_i (rows of `lanes`), the centring taken off,
 * and their squares added to `squares`: component by component, each writing its own row of d (a column at a time
 * would write d apart).
 */
function centreBlock(
  block: Float64Array, lanes: number, first: number, columns: number, mean: Float64Array, scale: number, sums: Float64Array,
  components: Float32Array, d: number, squares: Float64Array,
): void {
  for (let i = 0; i < sums.length; i++) {
    const row = i * d + first;
    let square = 0;
    for (let c = 0; c < columns; c++) {
      const value = block[c * lanes + i] - scale * mean[first + c] * sums[i];
      components[row + c] = value;
      square += value * value;
    }
    squares[i] += square;
  }
}

/** Row i of `rows` (rows of d) times factors[i]. */
function scaleRows(rows: Float32Array, d: number, factors: Float64Array): void {
  for (let i = 0; i < factors.length; i++) {
    for (let c = i * d; c < (i + 1) * d; c++) rows[c] *= factors[i];
  }
}

/**
 * Each component's residual on the players' operator's other side, C = X̃ᵀX̃ / n (scaled as the players' values),
 * for the top Ritz pairs (u_i, θ_i) of the players' last check (`values`; u_i = y_i / ‖y_i‖, y_i in the float64
 * vectors' lanes, `lengths` theirs): C w − θ w = X̃ᵀ r / ‖X̃ᵀu‖ for w = X̃ᵀu / ‖X̃ᵀu‖ and r = K u − θ u (K = X̃X̃ᵀ /
 * n). r is the players' own residual at that check, K u the Ritz weights' combination of their images G = V K
 * (float64, residualRows), so it is as accurate as the players' check (a product of C w, then θ w taken off, would
 * lose its digits to float32's rounding of C w); ‖X̃ᵀu‖² = n uᵀKu = n θ. The rows r_i take the images' place in G,
 * which the next round (if the fit plays on) writes anew, and one 'gram-columns' job gives X̃ᵀ r in its Q; the
 * players are left as they are.
 */
async function componentResiduals(
  engine: Engine, values: Float64Array, lanes: number, lengths: Float64Array, signal?: AbortSignal,
): Promise<Float64Array> {
  const { rows: n, cols: d, panels } = engine.hostKernels().plan.sparse!;
  residualRows(engine, values, lanes, lengths);
  await engine.run({ kind: 'gram-columns' }, undefined, signal);
  const misses = columnNorms(engine.sparse().between, d, panels, values.length);
  return misses.map((miss, i) => (values[i] > 0 ? miss / Math.sqrt(n * values[i]) : 0));
}

/**
 * The images' first rows in G ← r_i = (K y_i − θ_i y_i) / ‖y_i‖ for the top Ritz pairs: K y_i = Σ_j W_ij g_j from
 * the players' images g_j at their last check, combined in float64 in slices of columns (assembly/combine64.ts), y_i
 * read from the float64 vectors' lanes, rounded to float32 once, each slice written over the images' columns it was
 * combined from (the other rows keep their images: their products are not read).
 */
function residualRows(engine: Engine, values: Float64Array, lanes: number, lengths: Float64Array): void {
  const { k: p, d: n } = engine;
  const { kernels, plan, memory } = engine.hostKernels();
  const buffers = plan.players!;
  const count = values.length;
  const vectors = new Float64Array(memory.buffer, plan.sparse!.vectors64, n * lanes);
  const images = engine.gradient();
  // The scratch holds 2n float64 values: `columns` columns of the top rows at a time.
  const columns = Math.max(1, Math.floor((2 * n) / count));
  for (let first = 0; first < n; first += columns) {
    const width = Math.min(columns, n - first);
    kernels.combineRows64(buffers.ritz, count, p, plan.g, n, first, width, buffers.acc, width);
    takeOffValues(new Float64Array(memory.buffer, buffers.acc, count * width), width, first, vectors, lanes, values, lengths, n, images);
  }
}

/**
 * rows[i, first + c] = (images[i, c] − θ_i y_i[first + c]) / ‖y_i‖ for a slice of `width` columns of the images, y_i
 * in lane i of `vectors`' rows of `lanes` (a zero length: 0).
 */
function takeOffValues(
  images: Float64Array, width: number, first: number, vectors: Float64Array, lanes: number, values: Float64Array, lengths: Float64Array,
  n: number, rows: Float32Array,
): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const scale = lengths[i] > 0 ? 1 / lengths[i] : 0;
    for (let c = 0; c < width; c++) rows[i * n + first + c] = (images[i * width + c] - value * vectors[(first + c) * lanes + i]) * scale;
  }
}

/** The float64 norms of the first `count` lanes of a dense block of `rows` rows stored by `panels`. */
function columnNorms(block: Float32Array, rows: number, panels: LanePanel[], count: number): Float64Array {
  const squares = new Float64Array(count);
  for (const { first, lanes } of panels) {
    const last = Math.min(first + lanes, count);
    for (let r = 0, at = first * rows - first; r < rows; r++, at += lanes) {
      for (let i = first; i < last; i++) squares[i] += block[at + i] * block[at + i];
    }
  }
  return squares.map(Math.sqrt);
}

/** pca of a sparse matrix: checked (readSparseMatrix), then the cheaper sparse route, or the one asked for. */
export async function pcaOfSparse(X: SparseMatrix, settings: PCASettings): Promise<PCAModel> {
  settings.signal?.throwIfAborted();
  const reader = readSparseMatrix(X, 'X');
  const { rows: n, cols: d } = reader;
  const { k } = settings;
  checkMatrixShape(n, d, k);
  const route = chooseSparseSolver(reader, k, settings.solver);
  if (route === 'sparse-covariance') return bySparseCovariance(reader, settings);
  return route === 'sparse-gram' ? bySparseGram(reader, settings) : bySparseData(reader, settings);
}

/** The sparse route asked for ('covariance', 'gram' and 'data' name the sparse ones), or the cheapest. */
export function chooseSparseSolver(reader: SparseReader, k: number, asked: PCASettings['solver']): SparseSolver {
  const costs = sparseCosts(reader, k);
  const wanted = asked === 'covariance' || asked === 'gram' || asked === 'data' ? (`sparse-${asked}` as const) : asked;
  if (wanted === 'sparse-covariance' && costs['sparse-covariance'] === Infinity) {
    const padded = padToPanels(reader.cols);
    throw new RangeError(
      `solver '${asked}' needs a ${reader.cols} × ${reader.cols} matrix of ${12 * padded * padded} bytes, more than the budget: use solver 'data', 'gram' or 'auto'`,
    );
  }
  if (wanted !== 'auto') return wanted;
  return (Object.keys(costs) as SparseSolver[]).reduce((best, route) => (costs[route] < costs[best] ? route : best));
}
