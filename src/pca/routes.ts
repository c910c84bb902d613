// The three routes of an in-memory fit:
// - covariance: one pass of syrk over the rows sums C = XᵀX (d × d) at each block's own mean (covariance.ts), the
//   players play on C;
// - gram (n < d): after the statistics pass (stats.ts: exact means and a scale), one pass over the transposed rows
//   sums XXᵀ (n × n), the players play on it, and each component is Xᵀu, normalised;
// - data (d too large for C): after the statistics pass, the players play on XᵀX / n through a pass over the rows
//   per round.
// Every route ends in the same float64 Rayleigh–Ritz rotation (solve.ts) and the same model.

import { Engine, turn, type Backend, type EngineShape } from '../devices/engine';
import { reportNonFinite, type MatrixReader } from '../io/matrix';
import { normalizeRows } from '../math/linalg';
import { PLAY_SETTINGS, componentsModel, type PCASettings } from './core';
import type { PCAModel } from './model';
import { COVARIANCE_BLOCK, Stager, matrixMoments, packMatrix, padToPanels, type Centring, type Layout } from './pack';
import { routeCosts, type Solver } from './choose';
import { CovariancePass, memoryBatch } from './covariance';
import { playTopK, playerCount, type TopK } from './solve';
import { powerOfTwoScale, scaleForMeanSquare, stageSize, type ColumnMoments } from './stats';

/** What a route has once the rows are in: their statistics and how they were centred and scaled. */
interface Prepared {
  moments: ColumnMoments;
  centring: Centring;
  settings: PCASettings;
}

/**
 * An engine for the Gram or the data route (with a staging area for the caller's rows), the statistics pass and
 * the scale, and the rows centred and scaled in `layout`. Workers start while the host reads the rows.
 */
async function load(
  reader: MatrixReader, settings: PCASettings, shape: EngineShape, workPerStep: number, layout: Layout, totalWork: number,
): Promise<{ engine: Engine; prepared: Prepared }> {
  const engine = await Engine.create(
    { ...shape, stage: stageSize(reader.cols) }, PLAY_SETTINGS, { ...settings.engine, workPerStep, totalWork },
  );
  try {
    const stager = new Stager(engine, reader.cols);
    const moments = await matrixMoments(reader, stager, 'X', settings.signal);
    const centring = { mean: moments.subtracted(settings.center), scale: powerOfTwoScale(moments, settings.center, 'X') };
    if (layout.kind === 'column-blocks') engine.rows(0, reader.cols).fill(0); // padded samples are zeros
    await packMatrix(reader, stager, centring, layout, settings.signal);
    return { engine, prepared: { moments, centring, settings } };
  } catch (error) {
    engine.dispose();
    throw error;
  }
}

/**
 * The dense operator the players play on, from its float64 sums (syrk's upper triangle): whole and symmetric,
 * divided by `divisor` and multiplied by the power of two that brings its mean diagonal near 1 (exact, and float32
 * then holds it whatever the data's units), on the devices. Returns that power of two.
 */
export async function fillOperator(engine: Engine, divisor: number, signal?: AbortSignal): Promise<number> {
  const { sums } = engine.operator();
  const m = engine.d;
  let trace = 0;
  for (let i = 0; i < m; i++) trace += sums[i * m + i];
  const scale = trace > 0 ? scaleForMeanSquare(trace / m / divisor, 'the covariance') ** 2 : 1;
  await engine.run({ kind: 'symmetrize', factor: scale / divisor, rows: { start: 0, end: m } }, undefined, signal);
  return scale;
}

/** Resident rows per job of the Gram route's pass: new workers take over between jobs (see packedPass). */
const PASS_ROWS = 64 * COVARIANCE_BLOCK;

/**
 * Sums the operator of the `rows` packed resident rows, scaled by `scale`, into zeroed sums (the Gram route's pass),
 * in jobs of PASS_ROWS rows: while new workers start this thread runs the jobs, and the workers take the rest.
 */
async function packedPass(engine: Engine, rows: number, scale: number, signal?: AbortSignal): Promise<void> {
  engine.operator().sums.fill(0);
  for (let first = 0; first < rows; first += PASS_ROWS) {
    const count = Math.min(PASS_ROWS, rows - first);
    const weights = new Array<number>(Math.ceil(count / COVARIANCE_BLOCK)).fill(1 / (scale * scale));
    await engine.run({ kind: 'covariance', rows: count, blockRows: COVARIANCE_BLOCK, first, weights }, undefined, signal, 'in-thread');
  }
}

async function using<T>(engine: Engine, use: () => Promise<T>): Promise<T> {
  try {
    return await use();
  } finally {
    engine.dispose();
  }
}

/**
 * The covariance route's sums in an engine: its operator's float64 sums hold Σ (x − mean)(x − mean)ᵀ (about zero
 * without centring) of the rows that `moments` describes, read in `passes` passes.
 */
export interface Summed {
  engine: Engine;
  moments: ColumnMoments;
  passes: number;
}

/**
 * An engine for the covariance route's sums (and `players` players on them) of d columns in batches of `batch` rows;
 * `totalWork`: the fit's flops, when known (Engine's 'auto' devices).
 */
export function summingEngine(d: number, batch: number, players: number, settings: PCASettings, totalWork?: number): Promise<Engine> {
  const padded = padToPanels(d);
  return Engine.create(
    { d: padded, k: players, rowCapacity: Math.max(2 * batch, padded), play: true, dense: true, stage: stageSize(d) },
    PLAY_SETTINGS, { ...settings.engine, workPerStep: batch * padded * padded, totalWork },
  );
}

/**
 * The covariance route's one pass over rows in memory; `reportPass`: tell onProgress of each batch summed, as a
 * source's pass does (Moments.of; pca's progress is its rounds).
 */
export async function sumMatrix(
  reader: MatrixReader, settings: PCASettings, players: number, totalWork: number, reportPass = false,
): Promise<Summed> {
  const { rows: n, cols: d } = reader;
  const batch = Math.min(n, memoryBatch(padToPanels(d)));
  const engine = await summingEngine(d, batch, players, settings, totalWork);
  try {
    let batchStart = 0;
    const reportBlock = (first: number, count: number): never => {
      for (let r = batchStart + first; r < batchStart + first + count; r++) {
        const row = reader.row(r);
        for (let c = 0; c < d; c++) if (!Number.isFinite(row[c])) reportNonFinite(row, 'X', r);
      }
      throw new RangeError(`X has a value that is not finite in rows ${batchStart + first} to ${batchStart + first + count - 1}`);
    };
    const pass = new CovariancePass(engine, d, batch, settings.center, 'X', reportBlock, settings.signal);
    for (let step = 1; batchStart < n; batchStart += batch, step++) {
      const first = batchStart;
      const rows = Math.min(batch, n - first);
      const float32 = reader.float32Rows?.(first, rows);
      if (float32) await pass.addFloat32(rows, float32);
      else await pass.add(rows, (offset, count, into) => reader.copyRows(first + offset, count, into));
      if (reportPass) {
        settings.onProgress?.({
          step, maxSteps: settings.maxSteps, batchSize: rows, utilities: new Float64Array(0), residuals: new Float64Array(0), residual: Infinity, remaining: Infinity,
          epoch: 1, rowsRead: pass.moments.rows,
        });
      }
    }
    await pass.finish();
    return { engine, moments: pass.moments, passes: 1 };
  } catch (error) {
    engine.dispose();
    throw error;
  }
}

/** The covariance route's players on summed rows, and the model of their top k. */
export async function solveSummed(
  { engine, moments, passes }: Summed, settings: PCASettings, solver: 'covariance' | 'sparse-covariance' = 'covariance',
): Promise<PCAModel> {
  const { d } = moments;
  const padded = engine.d;
  const scale = await fillOperator(engine, moments.rows - 1, settings.signal);
  const top = await playTopK(engine, 'dense', padded, d, settings, 1 / scale, 0);
  return componentsModel({
    ...top, width: padded, d, values: top.values.map((value) => value / scale), residuals: top.residuals.map((value) => value / scale),
    totalVariance: moments.totalVariance(settings.center), mean: moments.subtracted(settings.center), n: moments.rows,
    columnMeans: moments.mean, backend: engine.backend, solver, settings, passes,
  });
}

export async function byCovariance(reader: MatrixReader, settings: PCASettings): Promise<PCAModel> {
  const { rows: n, cols: d } = reader;
  const summed = await sumMatrix(reader, settings, playerCount(settings.k, d), routeCosts(n, d, settings.k).covariance);
  return using(summed.engine, () => {
    powerOfTwoScale(summed.moments, settings.center, 'X'); // refuses rows that do not vary, or overflow float64
    return solveSummed(summed, settings);
  });
}

export async function byGram(reader: MatrixReader, settings: PCASettings): Promise<PCAModel> {
  const { rows: n, cols: d } = reader;
  const padded = padToPanels(n);
  // After the d packed feature rows: room for the components (k × d) and the back-projection's sums (k × 64 × 4).
  const scratchRows = Math.ceil((settings.k * d + 4 * settings.k * COVARIANCE_BLOCK) / padded);
  const { engine, prepared } = await load(
    reader, settings,
    { d: padded, k: playerCount(settings.k, n), rowCapacity: Math.max(d + scratchRows, padded), play: true, dense: true },
    d * padded * padded, { kind: 'column-blocks', padded }, routeCosts(n, d, settings.k).gram,
  );
  return using(engine, async () => {
    await packedPass(engine, d, prepared.centring.scale, settings.signal);
    const scale = await fillOperator(engine, n - 1, settings.signal);
    const top = await playTopK(engine, 'dense', padded, n, settings, 1 / scale, 0);
    const components = await backProject(engine, top.vectors, top.values.length, d, settings.signal);
    return finish({ ...top, vectors: components }, d, 1 / scale, { engine: engine.backend, solver: 'gram', passes: 2 }, prepared);
  });
}

/**
 * The Gram route's components: Xᵀu_i for each eigenvector u_i of XXᵀ (from the packed transpose, assembly/backpack.ts),
 * normalised in float64. `count` vectors of the engine's padded sample count.
 */
async function backProject(engine: Engine, eigenvectors: Float64Array, count: number, d: number, signal?: AbortSignal): Promise<Float64Array> {
  const { kernels, plan } = engine.hostKernels();
  const padded = plan.d;
  const u = engine.gradient();
  u.fill(0);
  u.set(eigenvectors.subarray(0, count * padded));
  const out = plan.x + d * padded * 4;
  const acc = out + count * d * 4;
  for (let first = 0; first < d; first += COVARIANCE_BLOCK) {
    await turn(signal);
    const height = Math.min(COVARIANCE_BLOCK, d - first);
    kernels.packedTimes(plan.x + first * padded * 4, height, padded / 4, plan.g, count, padded, out, d, first, acc);
  }
  const found = engine.rows(d, Math.ceil((count * d) / padded)).subarray(0, count * d);
  const components = Float64Array.from(found);
  normalizeRows(components, count, d);
  return components;
}

export async function byData(reader: MatrixReader, settings: PCASettings): Promise<PCAModel> {
  const { rows: n, cols: d } = reader;
  const players = playerCount(settings.k, d);
  const { engine, prepared } = await load(
    reader, settings, { d, k: players, rowCapacity: n, play: true }, 4 * n * d * players, { kind: 'plain' },
    routeCosts(n, d, settings.k).data,
  );
  return using(engine, async () => {
    // The players play on the scaled rows' XᵀX / n (the mean reduction); the model's variances are XᵀX / (n − 1)'s.
    const scale = prepared.centring.scale;
    const unscale = n / (n - 1) / (scale * scale);
    // A pass: P = X Vᵀ and G = Pᵀ X.
    const top = await playTopK(engine, 'data', n, d, settings, unscale, 2 * n * d * players);
    return finish(top, d, unscale, { engine: engine.backend, solver: 'data', passes: 2 + top.rounds }, prepared);
  });
}

/**
 * The model of a route's top k: components in the first d coordinates of rows `width` long, variances the Ritz
 * values times `unscale`.
 */
function finish(
  top: TopK,
  width: number, unscale: number, ran: { engine: Backend; solver: Solver; passes: number },
  { moments, settings }: Prepared,
): PCAModel {
  return componentsModel({
    vectors: top.vectors, width, d: moments.d, values: top.values.map((value) => value * unscale),
    residuals: top.residuals.map((value) => value * unscale), ending: top.ending,
    totalVariance: moments.totalVariance(settings.center), mean: moments.subtracted(settings.center), columnMeans: moments.mean,
    n: moments.rows, backend: ran.engine, solver: ran.solver, converged: top.converged, remaining: top.remaining, settings,
    passes: ran.passes, rounds: top.rounds,
  });
}
