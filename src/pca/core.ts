// What in-memory and streamed pca share: options, the game's settings, and the final Rayleigh–Ritz step.

import { describe } from '../describe';
import { faultPlanOf } from '../devices/device';
import type { Engine } from '../devices/engine';
import { orthonormalizeRows, symmetricEigen } from '../math/linalg';
import { PCAModel } from './model';
import { checkDeviceOptions, checkSignal } from '../game/options';
import type { DeviceOptions, GameSettings } from '../devices/settings';

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
  /** Streamed sources: the pass over the data this step is in (1-based). */
  epoch?: number;
  /** Streamed sources: rows read since the fit began (the first pass over a file included). */
  rowsRead?: number;
  /** Streamed sources: the factor on the players' step sizes (halved whenever the subspace stops settling). */
  rateScale?: number;
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
  /**
   * Stop once the estimated subspace distance still to go (PCAProgress.remaining) is below this. Default 1e-7: every
   * component |cos| ≥ 0.99999 against the exact eigenvectors on the bench's data sets.
   */
  tol?: number;
  /** Called every few steps with the game's state. */
  onProgress?: (progress: PCAProgress) => void;
  /** Aborts the fit: the promise rejects with the signal's reason (an AbortError by default). */
  signal?: AbortSignal;
  /** Streamed sources: rows per minibatch (default: 4096, fewer for wide rows: at most 16 MiB of floats). */
  batchSize?: number;
  /**
   * Streamed sources that can be re-read: minibatch passes over the data (default 2); exact passes follow until the
   * estimated subspace distance to go is below `tol` (at most 30).
   */
  epochs?: number;
}

/**
 * pca's game: per-player step sizes from each player's Rayleigh quotient (the 'rayleigh' rule of src/devices/program.ts) with
 * light Nesterov momentum, on the covariance (mean reduction). With rates scaled per player, momentum 0.3 takes
 * fewest steps: on MNIST-10k (k = 16) 69 steps where 0.2 and 0.4 take 72, 0.5 takes 84 and 0.8 takes 141; the bench's
 * planted sets take the same steps for any value from 0.2 to 0.5 (0 diverged on MNIST under an earlier schedule).
 */
export const PCA_SETTINGS: GameSettings = {
  optimizer: { type: 'sgd', learningRate: 1, momentum: 0.3, nesterov: true },
  reduction: 'mean',
  variant: 'mu',
  riemannian: false,
};

export function resolveOptions(options: PCAOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`pca needs an options object like { k: 10 }, got ${describe(options)}`);
  }
  const center = options.center ?? true;
  if (typeof center !== 'boolean') throw new TypeError(`center must be a boolean, got ${describe(center)}`);
  const maxSteps = options.maxSteps ?? 10000;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new RangeError(`maxSteps must be a positive integer, got ${describe(maxSteps)}`);
  }
  const tol = options.tol ?? 1e-7;
  if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) {
    throw new RangeError(`tol must be a finite number ≥ 0, got ${describe(tol)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError(`onProgress must be a function, got ${describe(options.onProgress)}`);
  }
  const { signal, onProgress, batchSize, epochs = 2 } = options;
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 2)) {
    throw new RangeError(`batchSize must be an integer ≥ 2, got ${describe(batchSize)}`);
  }
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new RangeError(`epochs must be a positive integer, got ${describe(epochs)}`);
  checkSignal(signal);
  checkDeviceOptions(options);
  const { devices = 'auto', kPerDevice, whenBusy, onWarning } = options;
  return {
    k: options.k, center, seed: options.seed ?? 0, maxSteps, tol, onProgress, signal, batchSize, epochs, onWarning,
    /** The engine's options, but for the work per step. */
    engine: { devices, kPerDevice, whenBusy, onWarning, signal, fault: faultPlanOf(options) },
  };
}

export type PCASettings = ReturnType<typeof resolveOptions>;

/**
 * Orthonormalises V in float64 on the host and writes it back: the basis the Rayleigh–Ritz step rotates. `name`
 * is the data's, for the error when V's rows are dependent.
 */
export function orthonormalVectors(engine: Engine, name: string): Float64Array {
  const basis = Float64Array.from(engine.vectors());
  orthonormalizeFound(basis, engine.k, engine.d, name);
  engine.vectors().set(basis);
  return basis;
}

/**
 * Orthonormalises the rows of vectors the game found (k × d), or says why they are not k independent directions.
 * The data's magnitude is checked before any game (checkSpread, checkOverflow), so vectors that collapse onto each
 * other mean data of rank below k.
 */
export function orthonormalizeFound(vectors: Float64Array, k: number, d: number, name: string): void {
  if (!vectors.every(Number.isFinite)) {
    throw new Error(
      `the game's vectors on ${name} are not finite numbers: `
        + "an overflow that the checks of the data's magnitude did not foresee",
    );
  }
  if (!orthonormalizeRows(vectors, k, d)) {
    throw new RangeError(
      `${name} has fewer than k = ${k} independent directions (its rank is below ${k}): ask for fewer components`,
    );
  }
}

/** float32's largest finite value and its smallest normal one: the range the kernels' sums of products stay in. */
const FLOAT32_MAX = 3.4028234663852886e38;
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * Refuses data whose values, squared, underflow float32 (their products would lose their digits in the kernels,
 * which compute in float32), judged by the mean square of all `values` the fit sees (centred, with `center`); and
 * data with no variance at all.
 */
export function checkSpread(name: string, sumOfSquares: number, values: number, center: boolean): void {
  if (!(sumOfSquares > 0)) throw new RangeError(`${name} has no variance: every row is the same`);
  const meanSquare = sumOfSquares / values;
  if (meanSquare >= FLOAT32_MIN_NORMAL) return;
  const rms = Math.sqrt(meanSquare);
  throw new RangeError(
    `${name}'s values are too small for float32 arithmetic: their squares underflow it (root mean square `
      + `${center ? 'about the column means ' : ''}${scientific(rms)}); `
      + `scale the data (multiply by ${powerOfTen(1 / rms)})`,
  );
}

/**
 * Refuses data whose squares, summed over the `rows` rows of one step, overflow float32: the kernels sum the
 * products of the rows and their projections (G = PᵀX) in float32, and that sum bounds them. `largest` finds the
 * largest |value|, for the message.
 */
export function checkOverflow(name: string, sumOfSquares: number, rows: number, largest: () => number): void {
  if (sumOfSquares <= FLOAT32_MAX) return;
  const top = largest();
  throw new RangeError(
    `${name}'s values are too large for float32 arithmetic: their squares overflow it (summed over a step's ${rows} `
      + `rows: ${scientific(sumOfSquares)}; largest |value| ${scientific(top)}); `
      + `scale the data (divide by ${powerOfTen(top)})`,
  );
}

/** The largest |value| of `values`. */
export function largestMagnitude(values: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]));
  return largest;
}

/** The power of ten at or below `value`, written as 1e20. */
function powerOfTen(value: number): string {
  return `1e${Math.floor(Math.log10(value))}`;
}

/**
 * The final Rayleigh–Ritz step in float64: diagonalise `covariance` = V C Vᵀ (k × k, V = `basis`), rotate V by its
 * eigenvectors; sort by eigenvalue and make each vector's largest-magnitude loading positive.
 */
export function ritzModel(
  engine: Engine, basis: Float64Array, covariance: Float64Array, n: number, mean: Float64Array, totalVariance: number,
  converged: boolean,
): PCAModel {
  const { k, d } = engine;
  const { values, vectors: rotation } = symmetricEigen(covariance, k);
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
  return new PCAModel({
    components, explainedVariance, explainedVarianceRatio: varianceRatios(explainedVariance, totalVariance), mean,
    nSamples: n, k, d, backend: engine.backend, converged,
  });
}

/**
 * Each component's share of the total variance. The components' variances cannot add up to more than the total;
 * where rounding (or a one-shot stream's estimates) makes them, their sum is taken as the total, so that the
 * ratios always sum to at most 1.
 */
export function varianceRatios(explainedVariance: Float64Array, totalVariance: number): Float64Array {
  const whole = Math.max(totalVariance, explainedVariance.reduce((sum, value) => sum + value, 0));
  return explainedVariance.map((value) => value / whole);
}

/** Tells `onWarning` that `cap` stopped the fit before the estimated subspace distance to go fell below tol. */
export function warnNotConverged(settings: PCASettings, cap: string, remaining: number, advice: string): void {
  const distance = Number.isFinite(remaining)
    ? `estimated subspace distance to go: ${scientific(remaining)}`
    : 'no estimate yet of the subspace distance to go';
  settings.onWarning?.(
    `pca stopped after ${cap} before reaching tol = ${settings.tol} (${distance}): `
      + `the components may be inaccurate; ${advice}`,
  );
}

/** A number in short scientific notation: 3.1e-5, 1e20. */
export function scientific(value: number): string {
  return value === 0 ? '0' : value.toExponential(1).replace('.0e', 'e').replace('e+', 'e');
}
