// pca's players on an operator (the covariance, the Gram matrix, or XᵀX / n through passes over the data): started
// from normal rows drawn from the seed, played until every one of the top k Ritz pairs has a residual below tol
// times the largest value (src/devices/players.ts), then rotated onto the top k Ritz vectors in float64.

import type { Engine } from '../devices/engine';
import type { RunReport } from '../devices/device';
import type { PlaySource } from '../devices/program';
import type { Ending } from '../devices/players';
import { normalizeRows } from '../math/linalg';
import { Rng } from '../math/rng';
import type { PCAProgress, PCASettings } from './core';

/**
 * Players beyond k: the top-k span converges at about the square root of λ_{p+1}/λ_k per round, so a few more
 * players than components cut the rounds on slowly falling spectra several times over (measured on exact
 * covariances, to a subspace distance of 1e-8: a power-law spectrum with k = 32 took 224 rounds with 32 players and
 * 12 with 48; MNIST-like, k = 16, 86 with 16 and 12 with 24). Half of k again, and at least 8.
 */
export function playerCount(k: number, dimension: number): number {
  return Math.min(dimension, k + Math.max(8, Math.ceil(k / 2)));
}

/** Rounds between Rayleigh–Ritz checks on a dense operator (a check costs about (p + 2k)/d of a round there). */
const DENSE_CHECK_EVERY = 2;
/**
 * Rounds a fit on products is expected to take (measured 25 and 29 on the bench's text and single-cell sets, 4 to
 * 16 on its dense sets): the number of checks an interval saves is counted over these.
 */
const EXPECTED_ROUNDS = 25;
/**
 * The most rounds between checks on products (the 20000 × 60000 TF-IDF's √(2R · check/round) is 6.7; with 4 it took
 * 28 rounds, with 6 26, against 25 when checked every round).
 */
const MOST_CHECK_EVERY = 6;

/**
 * Rounds between Rayleigh–Ritz checks where each round multiplies by the operator through products of `productWork`
 * multiply-adds (a pass over dense rows, or two sparse products): a check costs (p² + p·k)·d (H = V Gᵀ and the
 * residuals, on one device), a round the products and the players' own p²·d. Checking every c rounds costs
 * R/c checks and about (c − 1)/2 rounds past convergence; c = √(2R · check/round) makes the sum least. Where the
 * products dominate (dense rows, a single-cell matrix of a few thousand genes) that is every round; on a wide
 * text matrix the players' checks cost as much as its products, and a check every few rounds saves most of them.
 */
export function productCheckEvery(productWork: number, p: number, k: number, d: number): number {
  const check = (p * p + p * k) * d;
  const round = productWork + p * p * d;
  const best = Math.round(Math.sqrt((2 * EXPECTED_ROUNDS * check) / round));
  return Math.min(MOST_CHECK_EVERY, Math.max(1, best));
}
/** Rounds between progress reports. */
const REPORT_EVERY = 5;

/** How the players ended: the top k Ritz pairs of their last check (the weights in the engine's plan). */
export interface Played {
  /** The top k Ritz values: the operator's eigenvalues, descending. */
  values: Float64Array;
  /** Their residuals ‖A y − θ y‖ at the last check, in the operator's units. */
  residuals: Float64Array;
  converged: boolean;
  /** Why the players stopped. */
  ending: Ending;
  /** The Davis–Kahan bound on the subspace distance still to go at the last check. */
  remaining: number;
  rounds: number;
}

export interface TopK extends Played {
  /** The top k Ritz vectors, unit rows of `dimension` values (float64), in the values' order. */
  vectors: Float64Array;
}

/**
 * Plays the engine's players (k = their number, d = the operator's size) on the dense operator in its memory, on
 * the `rows` resident rows or on the sparse matrix, with the first `active` coordinates of each player live (the
 * rest are padding and stay zero). `unscale` turns the operator's values into the data's variances (for progress
 * reports). `productWork`, the multiply-adds of a round's products (ignored on the dense operator, checked every
 * DENSE_CHECK_EVERY rounds), sets how often the players are checked (productCheckEvery).
 */
export async function playTopK(
  engine: Engine, source: PlaySource, rows: number, active: number, settings: PCASettings, unscale: number, productWork: number,
): Promise<TopK> {
  const played = await play(engine, source, rows, active, settings, unscale, productWork);
  return { ...played, vectors: ritzVectors(engine, settings.k).vectors };
}

/**
 * playTopK without the Ritz vectors, which the caller combines from the players as it needs them (the sparse Gram
 * route, straight into its float64 product's lanes). `resumeAfter`: play on from where the players are after that
 * many rounds (a fit that tightened tol: its progress counts on from them, within the same maxSteps) instead of
 * starting them from the seed.
 */
export async function play(
  engine: Engine, source: PlaySource, rows: number, active: number, settings: PCASettings, unscale: number, productWork: number,
  resumeAfter?: number,
): Promise<Played> {
  const { k, tol, onProgress, signal } = settings;
  const before = resumeAfter ?? 0;
  if (resumeAfter === undefined) startPlayers(engine, active, settings.seed);
  const report = onProgress && ((step: RunReport) => onProgress(progressOf({ ...step, steps: before + step.steps }, k, settings.maxSteps, rows, unscale)));
  const end = await engine.run(
    {
      kind: 'play', source, rows, k, maxSteps: settings.maxSteps - before, tol,
      checkEvery: source === 'dense' ? DENSE_CHECK_EVERY : productCheckEvery(productWork, engine.k, k, engine.d),
      reportEvery: REPORT_EVERY,
    },
    report, signal,
  );
  const residuals = engine.players().squaredResiduals.slice(0, Math.min(k, engine.k)).map(Math.sqrt);
  return {
    values: engine.players().values.slice(0, Math.min(k, engine.k)), residuals, converged: end.converged, ending: end.ending ?? 'cap',
    remaining: end.remaining, rounds: end.steps,
  };
}

/**
 * A progress event from a report of the players: their values and residuals in the data's variance units (the
 * operator's times `unscale`), the largest residual relative to the largest value, and the subspace bound.
 */
export function progressOf(
  step: Pick<RunReport, 'steps' | 'utilities' | 'squaredResiduals' | 'residual' | 'remaining'>, k: number, maxSteps: number,
  batchSize: number, unscale: number,
): PCAProgress {
  const top = Math.min(k, step.utilities.length);
  const checked = Number.isFinite(step.residual) && step.squaredResiduals !== undefined;
  return {
    step: step.steps, maxSteps, batchSize, utilities: step.utilities.slice(0, top).map((value) => value * unscale),
    residuals: checked ? step.squaredResiduals!.slice(0, top).map((square) => Math.sqrt(square) * unscale) : new Float64Array(top).fill(NaN),
    residual: checked ? step.residual : Infinity, remaining: step.remaining,
  };
}

/**
 * The engine's players started from normal rows drawn from the seed (the first `active` coordinates), unit length,
 * with no momentum.
 */
export function startPlayers(engine: Engine, active: number, seed: number): void {
  const { k: p, d } = engine;
  const rng = Rng.fromSeed(seed);
  const players = engine.vectors();
  players.fill(0);
  for (let i = 0; i < p; i++) rng.fillNormals(players, i * d, active);
  engine.normalize(p);
  if (engine.hostKernels().plan.players) engine.players().previous.fill(0);
}

/**
 * The top k Ritz vectors of the players' last Rayleigh–Ritz check, in float64, and their values: y_i = Σ_j W_ij v_j
 * (assembly/combine64.ts), in slices of columns that fit the players' float64 scratch.
 */
export function ritzVectors(engine: Engine, k: number): { vectors: Float64Array; values: Float64Array } {
  const { k: p, d } = engine;
  const { kernels, plan, memory } = engine.hostKernels();
  const buffers = plan.players!;
  const { values } = engine.players();
  const top = Math.min(k, p);
  const vectors = new Float64Array(top * d);
  // The scratch holds 2d float64 values: `columns` columns of the top rows at a time.
  const columns = Math.max(1, Math.floor((2 * d) / top));
  for (let first = 0; first < d; first += columns) {
    const count = Math.min(columns, d - first);
    kernels.combineRows64(buffers.ritz, top, p, plan.v, d, first, count, buffers.acc, count);
    const slice = new Float64Array(memory.buffer, buffers.acc, top * count);
    for (let i = 0; i < top; i++) vectors.set(slice.subarray(i * count, (i + 1) * count), i * d + first);
  }
  normalizeRows(vectors, top, d);
  return { vectors, values: values.slice(0, top) };
}
