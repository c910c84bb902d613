// pca of a streamed source (a file larger than memory, a browser File, a stream): minibatches are read, checked
// and stepped on one at a time, so memory stays O(batch · d + k · d) whatever the data's size.
//
// A source that can be re-read (a file, a Blob) is read once first, in order: that pass checks every value,
// counts the rows and takes the exact column means and variances. Then each epoch reads the blocks of `batchSize`
// rows in a new seeded order. Minibatch noise keeps a game with a constant step size from settling below a floor,
// so whenever the subspace stops settling (its moves stop shrinking) the players' step sizes are halved. A last
// pass takes V C Vᵀ over every row for the Rayleigh–Ritz step.
// A one-shot stream is read once: rows are centred with the running mean of the rows read so far, and the model is
// the game's own vectors, in the players' order, with eigenvalues from the players' utilities averaged over the
// last steps (a Rayleigh–Ritz step on a single minibatch would mix components whose eigenvalues are close).

import { Engine } from '../devices/engine';
import { batchesOf, randomRows } from '../game/game';
import { PCAModel } from './model';
import { checkDimensions } from '../game/options';
import {
  PCA_SETTINGS, checkOverflow, checkSpread, largestMagnitude, orthonormalVectors, orthonormalizeFound, ritzModel,
  varianceRatios, warnNotConverged, type PCASettings,
} from './core';
import { Rng } from '../math/rng';
import { ConvergenceEstimate } from '../devices/schedule';
import type { MatrixSource, RowBatch } from '../io/source';

/** Steps between subspace checks (and progress reports). */
const CHECK_EVERY = 10;
/** Checks without the subspace settling, after which step sizes are halved. */
const PATIENCE = 3;
/** Step sizes are never scaled below this (2⁻¹²). */
const MIN_RATE_SCALE = 1 / 4096;
/**
 * Most exact passes over a re-readable source after the minibatch epochs: subspace iteration (V ← orth(C V))
 * removes what minibatch noise left, each pass shrinking the subspace's error by about λ_{k+1}/λ_k, until the
 * estimated distance still to go is below `tol`.
 */
const MAX_EXACT_PASSES = 30;
/** Weight of the past in one-shot streams' average utilities (about the last 50 steps count). */
const UTILITY_DECAY = 0.98;
/** Floats a default minibatch may take. */
const DEFAULT_BATCH_FLOATS = 1 << 22;

/** Column means and sums of squared deviations of every row seen, merged batch by batch (Chan et al.). */
class ColumnMoments {
  rows = 0;
  readonly mean: Float64Array;
  private readonly squares: Float64Array;

  constructor(private readonly d: number) {
    this.mean = new Float64Array(d);
    this.squares = new Float64Array(d);
  }

  add({ data, rows }: RowBatch): void {
    const d = this.d;
    const batchMean = new Float64Array(d);
    for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) batchMean[c] += data[r * d + c];
    for (let c = 0; c < d; c++) batchMean[c] /= rows;
    const total = this.rows + rows;
    for (let c = 0; c < d; c++) {
      let squares = 0;
      for (let r = 0; r < rows; r++) {
        const deviation = data[r * d + c] - batchMean[c];
        squares += deviation * deviation;
      }
      const delta = batchMean[c] - this.mean[c];
      this.squares[c] += squares + (delta * delta * this.rows * rows) / total;
      this.mean[c] += (delta * rows) / total;
    }
    this.rows = total;
  }

  /** Σ over columns of the squared deviations from the mean (centred) or from zero (not centred). */
  sumOfSquares(center: boolean): number {
    let sum = 0;
    for (let c = 0; c < this.d; c++) sum += this.squares[c] + (center ? 0 : this.rows * this.mean[c] * this.mean[c]);
    return sum;
  }

  /** The total variance (denominator n − 1) about the mean (centred) or about zero (not centred). */
  totalVariance(center: boolean): number {
    return this.sumOfSquares(center) / (this.rows - 1);
  }

  /** What the model subtracts: the mean (centred) or zeros. */
  subtracted(center: boolean): Float64Array {
    return center ? this.mean : new Float64Array(this.d);
  }
}

/**
 * V ← orthonormalise(C V), with C V summed exactly over every row: one pass of subspace iteration. Returns the
 * players' Rayleigh quotients vᵢᵀ C vᵢ before the pass (their eigenvalue estimates, for progress reports).
 */
async function subspaceIteration(source: MatrixSource, engine: Engine, batch: number, rows: number, signal?: AbortSignal): Promise<Float64Array> {
  const { k, d } = engine;
  const product = new Float64Array(k * d);
  for await (const block of batchesOf(source, batch, undefined, signal)) {
    loadBatch(engine, block, source.name);
    await engine.run({ kind: 'product', rows: block.rows }, undefined, signal);
    // pca's game uses the mean reduction: G is C V ÷ the batch's rows.
    const part = engine.gradient();
    for (let i = 0; i < product.length; i++) product[i] += part[i] * block.rows;
  }
  const vectors = engine.vectors();
  const quotients = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    for (let c = 0; c < d; c++) quotients[i] += vectors[i * d + c] * product[i * d + c];
    quotients[i] /= rows - 1;
  }
  orthonormalizeFound(product, k, d, source.name);
  vectors.set(product);
  return quotients;
}

/** Copies a batch into the resident rows and centres it, refusing values whose squares overflow float32. */
function loadBatch(engine: Engine, batch: RowBatch, name: string): void {
  engine.rows(0, batch.rows).set(batch.data);
  const sumOfSquares = engine.centerRows(0, batch.rows);
  const values = batch.data.subarray(0, batch.rows * batch.cols);
  checkOverflow(name, sumOfSquares, batch.rows, () => largestMagnitude(values));
}

/** The game's vectors as they stand, in the players' order, each with its largest loading positive. */
function gameModel(
  engine: Engine, basis: Float64Array, eigenvalues: Float64Array, moments: ColumnMoments, center: boolean,
  converged: boolean,
): PCAModel {
  const { k, d } = engine;
  const n = moments.rows;
  const components = new Float32Array(k * d);
  for (let i = 0; i < k; i++) {
    const row = basis.subarray(i * d, (i + 1) * d);
    const largest = row.reduce((best, value) => (Math.abs(value) > Math.abs(best) ? value : best), 0);
    for (let c = 0; c < d; c++) components[i * d + c] = largest < 0 ? -row[c] : row[c];
  }
  const explainedVariance = eigenvalues.map((value) => Math.max(0, (value * n) / (n - 1)));
  const explainedVarianceRatio = varianceRatios(explainedVariance, moments.totalVariance(center));
  return new PCAModel({
    components, explainedVariance, explainedVarianceRatio, mean: moments.subtracted(center), nSamples: n, k, d,
    backend: engine.backend, converged,
  });
}

/**
 * Exact passes after the minibatch epochs: subspace iteration over every row until the estimated subspace distance
 * to go is below `tol`, at most MAX_EXACT_PASSES. Says whether it got there, and the last estimate.
 */
async function exactPasses(
  source: MatrixSource, engine: Engine, batch: number, n: number, tol: number,
  report: (pass: number, quotients: Float64Array, remaining: number) => void, signal?: AbortSignal,
): Promise<{ converged: boolean; remaining: number }> {
  const { k, d } = engine;
  const passes = new ConvergenceEstimate();
  passes.observe(engine.vectors(), k, d);
  for (let pass = 1; pass <= MAX_EXACT_PASSES; pass++) {
    const quotients = await subspaceIteration(source, engine, batch, n, signal);
    passes.observe(engine.vectors(), k, d);
    report(pass, quotients, passes.remaining);
    if (passes.remaining < tol) return { converged: true, remaining: passes.remaining };
  }
  return { converged: false, remaining: passes.remaining };
}

/** The final Rayleigh–Ritz step over every row of a re-readable source (the Gram partials on the devices). */
async function exactModel(
  source: MatrixSource, engine: Engine, batch: number, moments: ColumnMoments, center: boolean, converged: boolean,
  signal?: AbortSignal,
): Promise<PCAModel> {
  const { k } = engine;
  const basis = orthonormalVectors(engine, source.name);
  const covariance = new Float64Array(k * k);
  for await (const rows of batchesOf(source, batch, undefined, signal)) {
    loadBatch(engine, rows, source.name);
    const gram = await engine.projectedGram(rows.rows, signal);
    for (let i = 0; i < gram.length; i++) covariance[i] += gram[i];
  }
  const n = moments.rows;
  for (let i = 0; i < covariance.length; i++) covariance[i] /= n - 1;
  return ritzModel(engine, basis, covariance, n, moments.subtracted(center), moments.totalVariance(center), converged);
}

export async function pcaOfSource(source: MatrixSource, settings: PCASettings): Promise<PCAModel> {
  const { k, center, signal, onProgress, maxSteps, tol, epochs } = settings;
  signal?.throwIfAborted();
  const info = await source.info();
  const d = info.cols;
  checkDimensions(d, k);
  const batch = settings.batchSize ?? Math.max(Math.min(4096, Math.floor(DEFAULT_BATCH_FLOATS / d)), 2 * k, 2);
  if (batch < k) throw new RangeError(`batchSize = ${batch} is smaller than k = ${k}: a minibatch must have at least k rows`);
  const rng = Rng.fromSeed(settings.seed);
  const moments = new ColumnMoments(d);
  let rowsRead = 0;
  if (info.rereadable) {
    for await (const rows of batchesOf(source, batch, undefined, signal)) {
      moments.add(rows);
      rowsRead += rows.rows;
    }
    if (moments.rows < 2) throw new RangeError(`${source.name} has ${moments.rows} row; PCA needs at least 2`);
    if (k > moments.rows) throw new RangeError(`k = ${k} is larger than the number of rows (${moments.rows}) in ${source.name}`);
    checkSpread(source.name, moments.sumOfSquares(center), moments.rows * d, center);
  }
  const n = moments.rows;
  const engine = await Engine.create(
    { d, k, rowCapacity: batch }, PCA_SETTINGS, { ...settings.engine, workPerStep: 4 * batch * d * k },
  );
  try {
    engine.vectors().set(randomRows(rng, k, d));
    engine.normalize(k);
    if (center && info.rereadable) engine.mean().set(moments.mean);
    const convergence = new ConvergenceEstimate();
    let checksSinceAnneal = 0;
    let blocksRead = 0;
    let stalled = 0;
    let rateScale = 1;
    let step = 0;
    /** Exponential average of each player's utility (≈ its eigenvalue once the game settles): one-shot streams. */
    const averageUtility = new Float64Array(k);
    let done = false;
    const blocks = Math.ceil(n / batch);
    for (let epoch = 1; epoch <= (info.rereadable ? epochs : 1) && !done; epoch++) {
      const order = info.rereadable ? rng.permutation(blocks) : undefined;
      for await (const rows of batchesOf(source, batch, order, signal)) {
        if (!info.rereadable) {
          moments.add(rows);
          if (center) engine.mean().set(moments.mean);
        }
        loadBatch(engine, rows, source.name);
        await engine.run(
          { kind: 'windows', rows: rows.rows, batchSize: rows.rows, steps: 1, reportEvery: 1, rule: 'rayleigh', rateScale },
          undefined, signal,
        );
        step++;
        rowsRead += rows.rows;
        const utilities = engine.utilities();
        for (let i = 0; i < k; i++) averageUtility[i] = step === 1 ? utilities[i] : UTILITY_DECAY * averageUtility[i] + (1 - UTILITY_DECAY) * utilities[i];
        const check = step % CHECK_EVERY === 0 || step === maxSteps;
        // Small files take few steps per pass: report at the end of each pass too.
        const endOfPass = info.rereadable && ++blocksRead % blocks === 0;
        if (check) {
          convergence.observe(engine.vectors(), k, d);
          // The estimate needs three moves (four checks) before "not settling" means anything.
          if (++checksSinceAnneal < 4 || Number.isFinite(convergence.remaining)) {
            stalled = 0;
          } else if (++stalled >= PATIENCE && rateScale > MIN_RATE_SCALE) {
            rateScale /= 2;
            stalled = 0;
            checksSinceAnneal = 0;
          }
        }
        if (check || endOfPass) {
          onProgress?.({
            step, maxSteps, batchSize: rows.rows, utilities: engine.utilities(), remaining: convergence.remaining,
            epoch, rowsRead, rateScale,
          });
        }
        if (convergence.remaining < tol || step >= maxSteps) {
          done = true;
          break;
        }
      }
    }
    if (!info.rereadable) {
      if (moments.rows < 2) throw new RangeError(`${source.name} has ${moments.rows} row; PCA needs at least 2`);
      checkSpread(source.name, moments.sumOfSquares(center), moments.rows * d, center);
      const converged = convergence.remaining < tol;
      const basis = orthonormalVectors(engine, source.name);
      const model = gameModel(engine, basis, averageUtility, moments, center, converged);
      if (!converged) {
        const capped = step >= maxSteps;
        warnNotConverged(
          settings, capped ? `maxSteps = ${maxSteps} steps` : `the stream ended (${step} steps)`, convergence.remaining,
          capped ? 'raise maxSteps or tol' : 'fit from a file instead: it can be read again, for exact passes',
        );
      }
      return model;
    }
    const report = (pass: number, utilities: Float64Array, remaining: number) => onProgress?.({
      step, maxSteps, batchSize: batch, utilities, remaining, epoch: epochs + pass, rowsRead: (rowsRead += n),
      rateScale: 0,
    });
    const passes = await exactPasses(source, engine, batch, n, tol, report, signal);
    const model = await exactModel(source, engine, batch, moments, center, passes.converged, signal);
    if (!passes.converged) {
      warnNotConverged(settings, `${MAX_EXACT_PASSES} exact passes`, passes.remaining, 'raise tol');
    }
    return model;
  } finally {
    engine.dispose();
  }
}
