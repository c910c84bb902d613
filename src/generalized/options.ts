// What cca, pls and lda share: their options, checked, and the settings the pencil game runs with.

import { describe } from '../describe';
import { faultPlanOf } from '../devices/device';
import { checkDeviceOptions, checkSignal } from '../game/options';
import type { Backend } from '../devices/engine';
import { DEFAULT_TOL, pairList, scientific, type FitOptions } from '../pca/core';

/** What `cca`, `pls` and `lda` report to `onProgress`: while reading, then every 5 of the devices' rounds and every float64 round. */
export interface GeneralizedProgress {
  /**
   * 'pass': reading the rows (the covariance pass; `rowsRead` counts them); 'float32': the devices' rounds of the
   * players; 'float64': the host's float64 rounds that finish them.
   */
  stage: 'pass' | 'float32' | 'float64';
  /** Batches read ('pass'), or rounds played. */
  step: number;
  /** The round budget (`maxSteps`). */
  maxSteps: number;
  /** The current top k values (correlations, singular values or eigenvalues); empty while reading. */
  values: Float64Array;
  /**
   * The largest residual ‖A v − θ B v‖ (B⁻¹'s norm) of the top k pairs relative to |θ₁|, what `tol` is compared
   * with (Infinity before the first check and while reading).
   */
  residual: number;
  /** The Davis–Kahan bound on the subspace distance of the top-k span still to go (Infinity before the first check). */
  remaining: number;
  /** Rows read so far ('pass'). */
  rowsRead?: number;
}

/** The options every generalized fit (`cca`, `pls`, `lda`) takes: those of pca (seed, tol, maxSteps, devices, signal, …) and these. */
export interface GeneralizedOptions extends FitOptions {
  /** Pairs (cca, pls) or discriminant directions (lda) to find. */
  k: number;
  /** Called while the rows are read and as the players play; see GeneralizedProgress. */
  onProgress?: (progress: GeneralizedProgress) => void;
}

/** The checked options, and the engine's share of them. */
export function resolveGeneralized(method: string, options: GeneralizedOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${method} needs an options object like { k: 2 }, got ${describe(options)}`);
  }
  const { k } = options;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw new (typeof k === 'number' ? RangeError : TypeError)(`k must be a positive integer, got ${describe(k)}`);
  }
  const center = options.center ?? true;
  if (typeof center !== 'boolean') throw new TypeError(`center must be a boolean, got ${describe(center)}`);
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${describe(seed)}`);
  const maxSteps = options.maxSteps ?? 10000;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`maxSteps must be a positive integer, got ${describe(maxSteps)}`);
  const tol = options.tol ?? DEFAULT_TOL;
  if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) {
    throw new RangeError(`tol must be a finite number ≥ 0, got ${describe(tol)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError(`onProgress must be a function, got ${describe(options.onProgress)}`);
  }
  const { batchSize, signal, onProgress } = options;
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 2)) {
    throw new RangeError(`batchSize must be an integer ≥ 2, got ${describe(batchSize)}`);
  }
  checkSignal(signal);
  checkDeviceOptions(options);
  if (options.kPerDevice !== undefined) {
    throw new TypeError(`kPerDevice splits an EigenGame's players between devices; ${method} splits its matrices' rows itself: leave it out (got ${describe(options.kPerDevice)})`);
  }
  const { devices = 'auto', whenBusy, onWarning } = options;
  return {
    method, k, center, seed, maxSteps, tol, onProgress, signal, batchSize, onWarning,
    engine: { devices, whenBusy, onWarning, signal, fault: faultPlanOf(options) },
  };
}

export type GeneralizedSettings = ReturnType<typeof resolveGeneralized>;

/** A regularization option: a finite number ≥ 0 (default 0). */
export function regularizationOf(options: { regularization?: number }): number {
  const value = options.regularization ?? 0;
  if (typeof value !== 'number') throw new TypeError(`regularization must be a number ≥ 0, got ${describe(value)}`);
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`regularization must be a finite number ≥ 0, got ${describe(value)}`);
  return value;
}

/**
 * Tells `onWarning` which pairs had not converged when a cap or float64's floor stopped the fit, their residuals
 * relative to |θ₁|, and what helps.
 */
export function warnNotConverged(
  settings: GeneralizedSettings, solution: { rounds: number; ending: 'converged' | 'cap' | 'stagnant'; residuals: Float64Array; values: Float64Array },
): void {
  const { rounds, ending, residuals, values } = solution;
  const why = ending === 'stagnant' ? `${rounds} rounds, when its residuals stopped falling in float64` : `${rounds} rounds (its cap)`;
  const advice = ending === 'stagnant'
    ? 'add regularization if the within-set covariance is nearly singular, or raise tol'
    : 'raise maxSteps or tol, or add regularization if the within-set covariance is nearly singular';
  settings.onWarning?.(
    `${settings.method} stopped after ${why} before every pair's residual was within tol = ${scientific(settings.tol)} of the largest value: `
      + `${pairList(residuals, values[0] ?? 0, settings.tol, 'pair')} not converged; the directions may be inaccurate; ${advice}`,
  );
}

/** Where a fit ran, as its model says: these methods' devices split matrices' rows, not players (no kPerDevice). */
export function fitBackend(backend: Backend): Backend {
  const { kPerDevice: _players, ...rest } = backend;
  return rest;
}

/** Rounding's share past a bound that no data passes (a correlation's 1, the sum of all eigenvalues). */
export const RESULT_ROUNDING = 1e-6;

/**
 * The error for a result no data can give (a value that is not finite, a correlation above 1, a negative
 * eigenvalue): refused rather than returned as converged. From Moments it means a scatter no data has.
 */
export function impossibleResult(method: string, what: string, fromMoments: boolean): RangeError {
  return new RangeError(
    `${method} found ${what}, which no data gives`
      + (fromMoments
        ? ': the moments\' scatter is not positive semidefinite (check how it was computed), or too coarse for this problem '
          + '(Moments.of sums float32 products, off by about 1e-7 of the diagonal, which B\'s condition number multiplies)'
        : ''),
  );
}
