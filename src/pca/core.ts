// What in-memory and streamed pca share: options, the game's settings, and the final Rayleigh–Ritz step.

import { describe } from '../describe';
import { faultPlanOf } from '../devices/device';
import type { Backend } from '../devices/engine';
import { PCAModel, type PCASolver } from './model';
import { checkDeviceOptions, checkDimensions, checkSignal } from '../game/options';
import type { DeviceOptions, GameSettings } from '../devices/settings';
import type { Ending } from '../devices/players';

/** What `pca` reports to `onProgress`: every 5 rounds, and from a source also during the pass. */
export interface PCAProgress {
  /** Steps taken so far. */
  step: number;
  /** The step budget (`maxSteps`). */
  maxSteps: number;
  /** Rows in the minibatch of the last step. */
  batchSize: number;
  /**
   * Per component, in the data's variance units (those of `model.explainedVariance`): the players' Ritz values at
   * the last Rayleigh–Ritz check (before the first check, their Rayleigh quotients). At the end of a fit they are
   * the model's variances. One-shot streams: the players' utilities of the last step, also in variance units.
   */
  utilities: Float64Array;
  /**
   * Per component, in the same units: the residual ‖C v − θ v‖ of each of the top k Ritz pairs at the last check
   * (C the covariance); NaN before the first check and for one-shot streams.
   */
  residuals: Float64Array;
  /**
   * The largest of `residuals` relative to the largest variance: what `tol` is compared with (the fit converges
   * once it is ≤ tol). Infinity before the first check and for one-shot streams.
   */
  residual: number;
  /**
   * Bound on the subspace distance (1 − tr(P_found P_true)/k) of the top-k span still to go (Davis–Kahan: the
   * residuals over the gap after the k-th value; it cannot get small when that gap is tiny, though every pair may
   * be accurate). One-shot streams: estimated from how fast the players have been moving. Infinity when unknown.
   */
  remaining: number;
  /** Streamed sources: the pass over the data this step is in (1-based). */
  epoch?: number;
  /** Streamed sources: rows read since the fit began (the first pass over a file included). */
  rowsRead?: number;
  /** Streamed sources: the factor on the players' step sizes (halved whenever the subspace stops settling). */
  rateScale?: number;
}

/** What every fit of this package takes beside its own options (pca's, and cca's, pls's and lda's). */
export interface FitOptions extends Omit<DeviceOptions, 'kPerDevice'> {
  /** Not for these fits (an EigenGame option): refused with a message. */
  kPerDevice?: never;
  /** Subtract the column means first (default true). */
  center?: boolean;
  /** Seed of the players' starting vectors (default 0): the same seed and data give the same bits. */
  seed?: number;
  /** The most rounds of the players (default 10000). */
  maxSteps?: number;
  /**
   * Convergence, as ARPACK judges it (default 1e-6): the fit stops once every one of the top k pairs has a residual
   * ‖A v − θ v‖ at most tol times the largest value θ₁ (pca: A the covariance, θ₁ ≈ its norm; cca, pls, lda: the
   * pencil A v = θ B v, the residual in B⁻¹'s norm). Values are then within about (tol·θ₁)²/gap of the true ones,
   * vectors within tol·θ₁/gap of theirs; tied values give one orthonormal basis of their eigenspace. A tol below
   * what float32 arithmetic resolves (about 1e-7) ends the fit when nothing improves any more, with a warning.
   * 0: play every one of maxSteps rounds. One-shot streams (no residuals): a bound on the estimated subspace
   * distance still to go.
   */
  tol?: number;
  /** Aborts the fit: the promise rejects with the signal's reason (an AbortError by default). */
  signal?: AbortSignal;
  /** Sources: rows per batch read (default 4096, fewer for wide rows: at most 16 MiB of floats). */
  batchSize?: number;
}

/** pca's options: k, the route, progress, and those every fit takes (center, seed, tol, maxSteps, devices, signal, …). */
export interface PCAOptions extends FitOptions {
  /** Number of components, 1 ≤ k ≤ min(rows, cols). With center: false, components are those of XᵀX/(n−1). */
  k: number;
  /** Called every few rounds with the players' state (PCAProgress.remaining: the bound still to go). */
  onProgress?: (progress: PCAProgress) => void;
  /**
   * The route (default 'auto', the cheapest for the data's shape): 'covariance' plays on XᵀX summed in one pass,
   * 'gram' on XXᵀ (for fewer rows than columns), 'data' on the rows themselves, a pass per round (for columns too
   * many for a d × d matrix). A SparseMatrix takes 'covariance' or 'sparse-covariance' (the covariance summed from
   * the products of each row's non-zeros), 'data' or 'sparse-data' (two sparse products a round, players of d
   * values) and 'gram' or 'sparse-gram' (the same products in the other order, players of n values: for fewer rows
   * than columns); the sparse names are refused for dense input. The model says which ran (`model.solver`).
   */
  solver?: 'auto' | 'covariance' | 'gram' | 'data' | 'sparse-covariance' | 'sparse-data' | 'sparse-gram';
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

/**
 * The default tol: residuals at most 1e-6 of θ₁. float32 products leave residuals of a few 1e-7 of θ₁ (measured
 * on the bench's and the tests' sets); 1e-6 keeps the known-eigenvector tests' bars (subspace distances ≤ 1e-6).
 */
export const DEFAULT_TOL = 1e-6;

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
  const tol = options.tol ?? DEFAULT_TOL;
  if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) {
    throw new RangeError(`tol must be a finite number ≥ 0, got ${describe(tol)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError(`onProgress must be a function, got ${describe(options.onProgress)}`);
  }
  const { signal, onProgress, batchSize, solver = 'auto' } = options;
  if (!['auto', 'covariance', 'gram', 'data', 'sparse-covariance', 'sparse-data', 'sparse-gram'].includes(solver as string)) {
    throw new RangeError(`solver must be 'auto', 'covariance', 'gram', 'data', 'sparse-covariance', 'sparse-data' or 'sparse-gram', got ${describe(solver)}`);
  }
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 2)) {
    throw new RangeError(`batchSize must be an integer ≥ 2, got ${describe(batchSize)}`);
  }
  checkSignal(signal);
  checkDeviceOptions(options);
  if (options.kPerDevice !== undefined) {
    throw new TypeError(
      `kPerDevice splits an EigenGame's players between devices; pca splits its rows and its matrix's columns itself: leave it out (got ${describe(options.kPerDevice)})`,
    );
  }
  const { devices = 'auto', whenBusy, onWarning } = options;
  return {
    k: options.k, center, seed: options.seed ?? 0, maxSteps, tol, onProgress, signal, batchSize, onWarning, solver,
    /** The engine's options, but for the work per step. */
    engine: { devices, whenBusy, onWarning, signal, fault: faultPlanOf(options) },
  };
}

export type PCASettings = ReturnType<typeof resolveOptions>;

/**
 * The engine settings of pca's players (the 'play' job): no optimizer (a round moves each player to its normalised
 * direction, src/devices/players.ts), and the mean reduction, so that a pass over the data gives G = V XᵀX / n.
 */
export const PLAY_SETTINGS: GameSettings = {
  optimizer: { type: 'sgd', learningRate: 1, momentum: 0, nesterov: false },
  reduction: 'mean',
  variant: 'mu',
  riemannian: false,
};

/** A route's top k as a model: components from the first d coordinates of `width`-long rows, signs fixed. */
export function componentsModel(found: {
  vectors: Float64Array | Float32Array; width: number; d: number; values: Float64Array; totalVariance: number; mean: Float64Array;
  n: number; backend: Backend; solver: PCASolver; converged: boolean; remaining: number; settings: PCASettings;
  passes: number; rounds: number;
  /** The data's column means (float64), also without centring: they give each component's score variance. */
  columnMeans?: Float64Array;
  /** The players' residuals at the last check (variance units, as `values`) and why they stopped. */
  residuals?: Float64Array;
  ending?: Ending;
  /** What stops the fit short of tol, and what to do about it (default: maxSteps rounds). */
  cap?: { what: string; advice: string };
}): PCAModel {
  const { vectors, width, d, values, settings } = found;
  const k = values.length;
  checkValues(found);
  // Float32 rows of d (the sparse Gram route's) become the components themselves: no second copy of k × d values.
  const inPlace = vectors instanceof Float32Array && width === d;
  const components = inPlace ? vectors.subarray(0, k * d) : new Float32Array(k * d);
  // Without centring, each score's mean μᵀw (μ in float64, w as rounded to float32) for its variance.
  const means = found.columnMeans && !settings.center ? found.columnMeans : undefined;
  const scoreMeans = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const row = vectors.subarray(i * width, i * width + d);
    scoreMeans[i] = orientRow(row, inPlace ? null : components.subarray(i * d, (i + 1) * d), means, i, causeOf(found));
  }
  checkTotals(found);
  const explainedVariance = values.map((value) => Math.max(0, value));
  if (!found.converged && found.residuals) {
    warnUnconverged(settings, found.rounds, found.ending ?? 'cap', found.residuals, values[0]);
  } else if (!found.converged) {
    const cap = found.cap ?? { what: `maxSteps = ${settings.maxSteps} rounds`, advice: 'raise maxSteps or tol' };
    warnNotConverged(settings, cap.what, found.remaining, cap.advice);
  }
  // pca's devices split rows and columns, not players: its backend says nothing of players per device.
  const { kPerDevice: _players, ...backend } = found.backend;
  return new PCAModel({
    components, explainedVariance, explainedVarianceRatio: varianceRatios(explainedVariance, found.totalVariance),
    mean: found.mean, nSamples: found.n, k, d, backend, solver: found.solver, converged: found.converged,
    passes: found.passes, rounds: found.rounds, scoreVariance: found.columnMeans && scoreVariances(explainedVariance, scoreMeans, found),
  });
}

/**
 * A component's row, checked and copied to `out` (null: turned in place) with its sign fixed: the entry largest in
 * magnitude positive. One pass reads the row (at d = 60000 and k = 50, each pass over the components is a few ms):
 * it refuses a value that is not a number, finds the sign, and sums `means` · the row as rounded to float32. Returns
 * that sum, signed as the component (0 without `means`).
 */
function orientRow(row: Float64Array | Float32Array, out: Float32Array | null, means: Float64Array | undefined, i: number, cause: string): number {
  let largest = 0;
  let dot = 0;
  for (let c = 0; c < row.length; c++) {
    const value = row[c];
    if (!Number.isFinite(value)) throw new RangeError(`pca found component ${i} with a value that is not a number at column ${c}${cause}`);
    if (Math.abs(value) > Math.abs(largest)) largest = value;
    if (means) dot += means[c] * Math.fround(value);
  }
  const sign = largest < 0 ? -1 : 1;
  const to = out ?? row;
  if (out || sign < 0) for (let c = 0; c < row.length; c++) to[c] = sign * row[c];
  return sign * dot;
}

/**
 * var(X w) over the rows (denominator n) from the fit's variances: with centring (n − 1)/n of them; without, the
 * scores' mean square less the square of their mean μᵀw (`scoreMeans`, μ in float64).
 */
function scoreVariances(explainedVariance: Float64Array, scoreMeans: Float64Array, found: { n: number; settings: PCASettings }): Float64Array {
  const { n } = found;
  return explainedVariance.map((variance, i) => {
    const meanSquare = (variance * (n - 1)) / n;
    return found.settings.center ? meanSquare : Math.max(0, meanSquare - scoreMeans[i] * scoreMeans[i]);
  });
}

/** How far past the total variance, as a share of it, rounding may carry the components' variances (or below 0). */
const VARIANCE_ROUNDING = 1e-5;

/** What an impossible result says of its source: from Moments, a scatter that is not positive semidefinite. */
function causeOf(found: { passes: number }): string {
  return found.passes === 0 ? ': the moments\' scatter is not positive semidefinite, so no data has it (check how it was computed)' : '';
}

/**
 * Refuses a result no data can give, rather than a model that says it converged: a value that is not finite (here
 * the variances; the components' values as orientRow copies them), then a negative variance, or variances adding
 * up to more than the total (the ratios would sum past 1: checkTotals). From rows these cannot happen but through a
 * fault; from Moments they mean a scatter that is not positive semidefinite.
 */
function checkValues(found: { values: Float64Array; totalVariance: number; passes: number }): void {
  const { values, totalVariance } = found;
  const bad = values.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0 || !Number.isFinite(totalVariance)) {
    throw new RangeError(`pca found a variance that is not a number (${bad >= 0 ? `component ${bad}: ${values[bad]}` : `total: ${totalVariance}`})${causeOf(found)}`);
  }
}

/** checkValues's second half: no negative variance, none adding up past the total. */
function checkTotals(found: { values: Float64Array; totalVariance: number; solver: PCASolver; passes: number }): void {
  const { values, totalVariance } = found;
  const cause = causeOf(found);
  const negative = values.findIndex((value) => value < -VARIANCE_ROUNDING * totalVariance);
  if (negative >= 0) throw new RangeError(`pca found a negative variance, ${values[negative]}, along component ${negative}${cause}`);
  const sum = values.reduce((total, value) => total + value, 0);
  // A one-shot stream's variances are estimates from its minibatches: there rounding is not the only error.
  if (found.solver !== 'stream' && sum > totalVariance * (1 + VARIANCE_ROUNDING)) {
    throw new RangeError(`pca found components whose variances add up to ${sum}, more than the total variance ${totalVariance}${cause}`);
  }
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

/**
 * Tells `onWarning` which of the players' top pairs had not converged when a cap or float32's floor stopped them,
 * their residuals relative to the largest variance, and what helps.
 */
function warnUnconverged(settings: PCASettings, rounds: number, ending: Ending, residuals: Float64Array, largest: number): void {
  const { tol, maxSteps } = settings;
  const why = ending === 'stagnant'
    ? `${rounds} rounds, when its residuals stopped falling (float32's floor for these data)`
    : `maxSteps = ${maxSteps} rounds`;
  const advice = ending === 'stagnant'
    ? `a tol of ${scientific(2 * worstOf(residuals, largest))} accepts them (values are accurate to about the residual squared over their gap)`
    : 'raise maxSteps, or tol (values are accurate to about the residual squared over their gap); a k at a gap of the spectrum converges in fewer rounds';
  settings.onWarning?.(
    `pca stopped after ${why} before every component's residual was within tol = ${scientific(tol)} of the largest variance: `
      + `${pairList(residuals, largest, tol, 'component')} not converged; ${advice}`,
  );
}

/** The largest of `residuals` relative to `largest`. */
function worstOf(residuals: Float64Array, largest: number): number {
  return residuals.reduce((worst, residual) => Math.max(worst, residual / Math.abs(largest)), 0);
}

/**
 * "components 3, 7 (residuals 2.1e-6, 4e-6 of the largest) are": the pairs (0-based) whose residual relative to
 * `largest` is above tol, the first 8 of them named.
 */
export function pairList(residuals: ArrayLike<number>, largest: number, tol: number, noun: string): string {
  const above: number[] = [];
  for (let i = 0; i < residuals.length; i++) if (!(residuals[i] <= tol * Math.abs(largest))) above.push(i);
  const named = above.slice(0, 8);
  const more = above.length > named.length ? ` and ${above.length - named.length} more` : '';
  const plural = above.length === 1 ? '' : 's';
  return `${noun}${plural} ${named.join(', ')}${more} (residual${plural} ${named.map((i) => scientific(residuals[i] / Math.abs(largest))).join(', ')} of the largest) ${above.length === 1 ? 'is' : 'are'}`;
}

/** Tells `onWarning` that `cap` stopped the fit before the estimated subspace distance to go fell below tol. */
export function warnNotConverged(settings: PCASettings, cap: string, remaining: number, advice: string): void {
  const distance = Number.isFinite(remaining)
    ? `estimated subspace distance to go: ${scientific(remaining)}`
    : 'no estimate yet of the subspace distance to go';
  settings.onWarning?.(
    `pca stopped after ${cap} before reaching tol = ${scientific(settings.tol)} (${distance}): `
      + `the components may be inaccurate; ${advice}`,
  );
}

/** A number in short scientific notation: 3.1e-5, 1e20. */
export function scientific(value: number): string {
  return value === 0 ? '0' : value.toExponential(1).replace('.0e', 'e').replace('e+', 'e');
}

/** Checks an in-memory matrix of n rows and d columns against k: d and k as a game takes them, 2 rows or more, k ≤ n. */
export function checkMatrixShape(n: number, d: number, k: number): void {
  checkDimensions(d, k);
  if (n < 2) throw new RangeError(`X has ${n} row; PCA needs at least 2`);
  if (k > n) throw new RangeError(`k = ${k} is larger than the number of rows (${n})`);
}
