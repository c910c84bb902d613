// What CCA and PLS share: two views of the same rows read in one joint covariance pass, the pencil of that
// covariance's blocks solved by the γ-EigenGame players, and the pieces of its eigenvectors that belong to each view.
//
// With C the covariance of [X | Y] (each view scaled by its power of two), both methods play on A = [[0, Cxy],
// [Cyx, 0]]; CCA's B is blockdiag(Cxx + εI, Cyy + εI), PLS's is I. The pencil's top eigenvalues are the canonical
// correlations (CCA) or the singular values of Cxy (PLS), each eigenvector [a; b] holding both views' weights.

import { Engine } from '../devices/engine';
import type { DenseTerm } from '../devices/pencil';
import { OPERATOR_BUDGET_BYTES } from '../pca/choose';
import { deviationValues } from '../pca/covariance';
import { PLAY_SETTINGS } from '../pca/core';
import { padToPanels } from '../pca/pack';
import { playerCount } from '../pca/solve';
import { stageSize } from '../pca/stats';
import type { GeneralizedSettings } from './options';
import { MOMENTS_PIVOT, SUMMED_PIVOT, pencilRegionBytes, solvePencil, type FactorBlock, type PencilSolution } from './pencil';
import { jointPass, passBatch, viewWidths, type JointPass, type TwoViews } from './views';

/** A's blocks for two views of dx and dy columns: X's rows against Y's columns, and Y's rows against X's. */
export function crossTerms(dx: number, m: number): DenseTerm[] {
  return [
    { into: 'a', rows: [0, dx], cols: [dx, m] },
    { into: 'a', rows: [dx, m], cols: [0, dx] },
  ];
}

/** The most bytes the dense route may take: the sums, their float32 copy, B's factor (float64 and float32). */
export function checkDenseFits(method: string, m: number, what: string): void {
  const d = padToPanels(m);
  const bytes = 24 * d * d;
  if (bytes > OPERATOR_BUDGET_BYTES) {
    throw new RangeError(
      `${method} works on the ${m} × ${m} covariance of ${what}, which takes ${bytes} bytes with its factor, more than ${OPERATOR_BUDGET_BYTES}: `
        + 'use fewer columns (for instance the top principal components of each view) — wider data needs a minibatch route this version does not have',
    );
  }
}

/** What a two-view method asks of the pass and the pencil. */
export interface TwoViewProblem {
  method: string;
  /** Whether B has blocks to factor (CCA) or is the identity (PLS). */
  factored: boolean;
  /** B's blocks for the pass's scales (none: B = I). */
  blocks(pass: JointPass, dx: number, dy: number): FactorBlock[];
  /** Checks that need the pass's rows (k against them, a singular covariance). */
  checkRows(pass: JointPass, dx: number, dy: number): void;
  /** What the pencil's eigenvalues are in the pass's units, for progress reports in the user's (default 1). */
  valueScale?(pass: JointPass): number;
}

export interface TwoViewSolution {
  pass: JointPass;
  solution: PencilSolution;
  dx: number;
  dy: number;
  engine: Engine;
  /** C's float64 sums after the solve (symmetric, padded d × d) and their divisor: the pass's covariance. */
  sums: Float64Array;
  d: number;
}

/**
 * The pass and the pencil of a two-view method; `use` builds the model while the engine (and its sums) lives. The
 * engine is disposed on every path.
 */
export async function solveTwoViews<T>(
  views: TwoViews, problem: TwoViewProblem, settings: GeneralizedSettings, use: (solved: TwoViewSolution) => T,
): Promise<T> {
  const { dx, dy, rows } = await viewWidths(views);
  const { k, method } = settings;
  if (k > Math.min(dx, dy)) {
    throw new RangeError(`k = ${k} is larger than min(dx, dy) = ${Math.min(dx, dy)}: ${method} has at most that many pairs of directions`);
  }
  const m = dx + dy;
  checkDenseFits(method, m, 'X and Y side by side (dx + dy columns)');
  const d = padToPanels(m);
  const players = playerCount(k, m);
  const batch = passBatch(views, m, d, rows, settings);
  const region = pencilRegionBytes({ m, players, factored: problem.factored, lowRankRows: 0 }, d);
  const engine = await Engine.create(
    { d, k: players, rowCapacity: Math.max(1, Math.ceil(region / (4 * d))), dense: true, stage: stageSize(m), deviations: deviationValues(m, batch) },
    PLAY_SETTINGS, { ...settings.engine, workPerStep: batch * d * d },
  );
  try {
    const pass = await jointPass(engine, views, dx, dy, batch, settings, !problem.factored);
    if (pass.n < 2) throw new RangeError(`${method} needs at least 2 rows, got ${pass.n}`);
    problem.checkRows(pass, dx, dy);
    const blocks = problem.blocks(pass, dx, dy);
    const solution = await solvePencil(engine, {
      m, divisor: pass.n - 1, terms: [...crossTerms(dx, m), ...blockTerms(blocks)], blocks, lowRank: null, players,
      singularPivot: pass.passes === 0 ? MOMENTS_PIVOT : SUMMED_PIVOT,
    }, reportingIn(settings, problem.valueScale?.(pass) ?? 1));
    return use({ pass, solution, dx, dy, engine, sums: engine.operator().sums, d });
  } finally {
    engine.dispose();
  }
}

/** The settings with progress values divided by `scale` (the pencil's units into the user's). */
export function reportingIn(settings: GeneralizedSettings, scale: number): GeneralizedSettings {
  const { onProgress } = settings;
  if (!onProgress || scale === 1) return settings;
  return { ...settings, onProgress: (progress) => onProgress({ ...progress, values: progress.values.map((value) => value / scale) }) };
}

/** B's dense terms: each diagonal block against itself. */
function blockTerms(blocks: FactorBlock[]): DenseTerm[] {
  return blocks.map(({ range }) => ({ into: 'b', rows: range, cols: range }));
}

/** Σ_{i ∈ rows, j ∈ cols} u_i C_ij v_j with C = sums / divisor (row stride d); u and v indexed from 0 over their ranges. */
export function blockForm(
  sums: Float64Array, d: number, divisor: number, u: ArrayLike<number>, rows: [number, number], v: ArrayLike<number>, cols: [number, number],
): number {
  let total = 0;
  for (let i = rows[0]; i < rows[1]; i++) {
    let sum = 0;
    for (let j = cols[0]; j < cols[1]; j++) sum += sums[i * d + j] * v[j - cols[0]];
    total += u[i - rows[0]] * sum;
  }
  return total / divisor;
}

/** Flips a pair of weight rows so that the first's largest-magnitude entry is positive (scikit-learn's svd_flip). */
export function flipPair(x: Float64Array, y: Float64Array): void {
  let largest = 0;
  for (const value of x) if (Math.abs(value) > Math.abs(largest)) largest = value;
  if (largest >= 0) return;
  for (let i = 0; i < x.length; i++) x[i] = -x[i];
  for (let i = 0; i < y.length; i++) y[i] = -y[i];
}
