// PCA by μ-EigenGame with no tuning: the data is loaded into the kernels' memory once (shuffled, checked, its
// mean taken), each player's step size is scaled from an estimate of its own eigenvalue, minibatches grow until
// they are the whole data, and a float64 Rayleigh–Ritz step finishes the job.

import { copyRows, readMatrix, type MatrixInput } from './data';
import { faultPlanOf } from './device';
import { Engine } from './engine';
import { randomRows } from './game';
import { orthonormalizeRows, symmetricEigen } from './linalg';
import { PCAModel } from './model';
import { checkDeviceOptions, checkDimensions, checkSignal, type DeviceOptions, type GameSettings } from './options';
import { Rng } from './rng';

export interface PCAProgress {
  /** Steps taken so far. */
  step: number;
  /** The step budget (`maxSteps`). */
  maxSteps: number;
  /** Rows in the minibatch of the last step. */
  batchSize: number;
  /** Utilities of the last step, per component (mean reduction: in units of variance). */
  utilities: Float64Array;
  /**
   * Estimated subspace distance (1 − tr(P_now P_limit)/k) still to go before the full-batch game converges,
   * from how fast it has been moving; Infinity while minibatches are in use or before an estimate exists.
   */
  remaining: number;
}

export interface PCAOptions extends DeviceOptions {
  /** Number of components, 1 ≤ k ≤ min(rows, cols). */
  k: number;
  /** Subtract the column means first (default true). With false, components are those of XᵀX/(n−1). */
  center?: boolean;
  /** Seed of the shuffle and the initial vectors (default 0): the same seed and data give the same bits. */
  seed?: number;
  /** Upper bound on game steps (default 10000). */
  maxSteps?: number;
  /** Stop once the estimated subspace distance still to go (PCAProgress.remaining) is below this. Default 1e-8. */
  tol?: number;
  /** Called every few steps with the game's state. */
  onProgress?: (progress: PCAProgress) => void;
  /** Aborts the fit: the promise rejects with the signal's reason (an AbortError by default). */
  signal?: AbortSignal;
}

/**
 * pca's game: per-player step sizes from each player's Rayleigh quotient (the 'rayleigh' rule of program.ts) with
 * moderate Nesterov momentum, on the covariance (mean reduction). With rates scaled per player, momentum 0.5
 * converges fastest: 0 diverged on MNIST, 0.9 caps the contraction per step.
 */
const PCA_SETTINGS: GameSettings = {
  optimizer: { type: 'sgd', learningRate: 1, momentum: 0.5, nesterov: true },
  reduction: 'mean',
  variant: 'mu',
  riemannian: false,
};

function resolveOptions(options: PCAOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`pca needs an options object like { k: 10 }, got ${String(options)}`);
  }
  const center = options.center ?? true;
  if (typeof center !== 'boolean') throw new TypeError(`center must be a boolean, got ${String(center)}`);
  const maxSteps = options.maxSteps ?? 10000;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new RangeError(`maxSteps must be a positive integer, got ${String(maxSteps)}`);
  }
  const tol = options.tol ?? 1e-8;
  if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) {
    throw new RangeError(`tol must be a finite number ≥ 0, got ${String(tol)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError(`onProgress must be a function, got ${String(options.onProgress)}`);
  }
  const { signal, onProgress } = options;
  checkSignal(signal);
  checkDeviceOptions(options);
  return { k: options.k, center, seed: options.seed ?? 0, maxSteps, tol, onProgress, signal };
}

/** Finds the top k principal components of X (n × d). */
export async function pca(X: MatrixInput, options: PCAOptions): Promise<PCAModel> {
  const settings = resolveOptions(options);
  settings.signal?.throwIfAborted();
  const reader = readMatrix(X, 'X');
  const { rows: n, cols: d } = reader;
  const { k } = settings;
  checkDimensions(d, k);
  if (n < 2) throw new RangeError(`X has ${n} row; PCA needs at least 2`);
  if (k > n) throw new RangeError(`k = ${k} is larger than the number of rows (${n})`);
  const rng = Rng.fromSeed(settings.seed);

  const engine = await Engine.create({ d, k, rowCapacity: n }, PCA_SETTINGS, {
    devices: options.devices ?? 'auto', kPerDevice: options.kPerDevice, onWarning: options.onWarning,
    workPerStep: 4 * n * d * k, fault: faultPlanOf(options),
  });
  try {
    copyRows(reader, 'X', engine.rows(0, n), rng.permutation(n));
    const { mean, totalVariance } = columnStatistics(engine.rows(0, n), n, d, settings.center);
    if (!(totalVariance > 0)) throw new RangeError('X has no variance: every row is the same');
    engine.mean().set(mean);
    engine.vectors().set(randomRows(rng, k, d));
    engine.normalize(k);
    const { maxSteps, tol, onProgress } = settings;
    await engine.run(
      { kind: 'pca', rows: n, d, maxSteps, tol },
      onProgress && ((report) => onProgress({
        step: report.steps, maxSteps, batchSize: report.batchSize, utilities: report.utilities,
        remaining: report.remaining,
      })),
      settings.signal,
    );
    return rayleighRitz(engine, n, mean, totalVariance);
  } finally {
    engine.dispose();
  }
}

function columnStatistics(data: Float32Array, n: number, d: number, center: boolean) {
  const sums = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const offset = r * d;
    for (let c = 0; c < d; c++) sums[c] += data[offset + c];
  }
  const mean = new Float64Array(d);
  if (center) for (let c = 0; c < d; c++) mean[c] = sums[c] / n;
  let squares = 0;
  for (let r = 0; r < n; r++) {
    const offset = r * d;
    for (let c = 0; c < d; c++) {
      const centered = data[offset + c] - Math.fround(mean[c]);
      squares += centered * centered;
    }
  }
  return { mean, totalVariance: squares / (n - 1) };
}

/**
 * The final Rayleigh–Ritz step in float64: orthonormalise V, form V C Vᵀ over all rows, diagonalise it, rotate V
 * by its eigenvectors; sort by eigenvalue and make each vector's largest-magnitude loading positive.
 */
function rayleighRitz(engine: Engine, n: number, mean: Float64Array, totalVariance: number): PCAModel {
  const { k, d } = engine;
  const basis = Float64Array.from(engine.vectors());
  if (!orthonormalizeRows(basis, k, d)) throw new Error('EigenGame did not find k independent directions');
  engine.vectors().set(basis);
  const gram = engine.projectedGram(0, n);
  for (let i = 0; i < gram.length; i++) gram[i] /= n - 1;
  const { values, vectors: rotation } = symmetricEigen(gram, k);
  const components = new Float32Array(k * d);
  const row = new Float64Array(d);
  for (let i = 0; i < k; i++) {
    row.fill(0);
    for (let j = 0; j < k; j++) {
      const weight = rotation[i * k + j];
      for (let c = 0; c < d; c++) row[c] += weight * basis[j * d + c];
    }
    let largest = 0;
    for (let c = 0; c < d; c++) if (Math.abs(row[c]) > Math.abs(largest)) largest = row[c];
    const sign = largest < 0 ? -1 : 1;
    for (let c = 0; c < d; c++) components[i * d + c] = sign * row[c];
  }
  const explainedVariance = values.map((value) => Math.max(0, value));
  const explainedVarianceRatio = explainedVariance.map((value) => value / totalVariance);
  return new PCAModel({
    components, explainedVariance, explainedVarianceRatio, mean, nSamples: n, k, d, backend: engine.backend,
  });
}
