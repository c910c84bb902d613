// The float64 finish of a pencil game, on the host: the devices' float32 players continue as float64 vectors, with
// products by the pass's float64 sums and solves by B's float64 Cholesky factor, through the same rounds
// (src/devices/pencil.ts's PencilPlayers) until the residual bound is below tol. Its first round is the final
// generalized Rayleigh–Ritz step (the players' span B-orthonormalised through the Cholesky factor of its B-Gram
// matrix, then the projected pencil's eigenpairs); when the float32 game reached tol, its check is all that is left.
// Where float32 could not get there (B far from the identity: the float32 pencil is itself off by about κ(B)·1e-7),
// the float64 rounds carry the players the rest of the way.

import { turn } from '../devices/engine';
import { PencilPlayers, FLOAT64_DROP, symmetric, type DenseTerm, type PlayerSpace } from '../devices/pencil';
import { gammaDirections64 } from '../math/gamma';
import { dot } from '../math/linalg';
import type { GeneralizedSettings } from './options';

export interface PencilSolution {
  /** The top k generalized eigenvalues (Ritz values), descending. */
  values: Float64Array;
  /** Their eigenvectors, k × m, float64, B-orthonormal (vᵀ B v = 1). */
  vectors: Float64Array;
  converged: boolean;
  /** The residual bound on the subspace distance still to go at the last check. */
  remaining: number;
  /** The top k pairs' residuals ‖Av − θBv‖ in B⁻¹'s norm at the last check, and why the rounds stopped. */
  residuals: Float64Array;
  ending: 'converged' | 'cap' | 'stagnant';
  /** Rounds played: the devices' float32 rounds and the host's float64 ones. */
  rounds: number;
  /** trace(B⁻¹ A) for a low-rank A (the sum of all its generalized eigenvalues), or null. */
  lowRankTrace: number | null;
}

/** Products of the float64 pencil between turns of the event loop (a few milliseconds of work). */
const TIMES_WORK = 4e6;

/**
 * The most float64 rounds after the devices' game (each costs about what a float32 round costs, on one thread in
 * JavaScript): a cap, named in the warning; they stop sooner at tol or once nothing improves in float64.
 */
const FINISH_ROUNDS = 500;
/** The relative noise of float64 Ritz values, for the finish's measure of progress. */
const FLOAT64_RESOLUTION = 2 ** -50;

/** A and B in float64: the pass's symmetric sums (d × d) divided by `divisor`, as the spec's terms, ridges and low-rank part say. */
export interface PencilMatrices {
  sums: Float64Array;
  d: number;
  divisor: number;
  terms: DenseTerm[];
  lowRank: { rows: number; values: Float64Array } | null;
  blocks: Array<{ range: [number, number]; ridge: number }>;
  /** B's lower Cholesky factor on its blocks (row stride d), or null for B = I. */
  factor: Float64Array | null;
}

/** Products and solves with the pencil in float64. */
class Float64Pencil {
  constructor(private readonly matrices: PencilMatrices, private readonly m: number) {}

  /** The A and B images of rows [first, first + count) of `basis` into the same rows of `a` and `b`. */
  times(basis: Float64Array, first: number, count: number, a: Float64Array, b: Float64Array): void {
    const { sums, d, divisor, terms, lowRank, blocks } = this.matrices;
    const { m } = this;
    const row = (x: Float64Array, j: number) => x.subarray((first + j) * m, (first + j + 1) * m);
    for (const { into, rows, cols } of terms) {
      const out = into === 'a' ? a : b;
      for (let r = rows[0]; r < rows[1]; r++) {
        const matrixRow = sums.subarray(r * d + cols[0], r * d + cols[1]);
        for (let j = 0; j < count; j++) out[(first + j) * m + r] = dot(matrixRow, row(basis, j).subarray(cols[0], cols[1])) / divisor;
      }
    }
    for (let j = 0; j < count; j++) {
      const w = row(basis, j);
      if (blocks.length === 0) row(b, j).set(w);
      for (const { range, ridge } of blocks) {
        const target = row(b, j);
        for (let c = range[0]; c < range[1]; c++) target[c] += ridge * w[c];
      }
      if (!lowRank) continue;
      const target = row(a, j);
      target.fill(0);
      for (let r = 0; r < lowRank.rows; r++) {
        const factorRow = lowRank.values.subarray(r * m, (r + 1) * m);
        const along = dot(factorRow, w);
        for (let c = 0; c < m; c++) target[c] += along * factorRow[c];
      }
    }
  }

  /**
   * The A and B images of rows [first, first + count) of `basis`, in groups of rows of about TIMES_WORK products
   * between turns of the event loop (a row costs m² for the dense terms and 2·rows·m for a low-rank part: a row alone
   * is a second of work for lda with tens of thousands of classes). The images do not depend on the grouping.
   */
  async timesEach(basis: Float64Array, first: number, count: number, a: Float64Array, b: Float64Array, signal?: AbortSignal): Promise<void> {
    const { m } = this;
    const perRow = m * m + 2 * (this.matrices.lowRank?.rows ?? 0) * m;
    const group = Math.max(1, Math.floor(TIMES_WORK / perRow));
    for (let j = first; j < first + count; j += group) {
      await turn(signal);
      this.times(basis, j, Math.min(group, first + count - j), a, b);
    }
  }

  /** trace(B⁻¹ Fᵀ F) = Σ_r ‖L⁻¹ f_r‖² for A's low-rank part (null without one); a solve per row of F, between turns. */
  async lowRankTrace(signal?: AbortSignal): Promise<number | null> {
    const { lowRank, factor, d, blocks } = this.matrices;
    if (!lowRank) return null;
    let trace = 0;
    for (let r = 0; r < lowRank.rows; r++) {
      await turn(signal);
      const y = lowRank.values.slice(r * this.m, (r + 1) * this.m);
      if (factor) for (const { range } of blocks) forward(factor, d, range, y);
      trace += dot(y, y);
    }
    return trace;
  }

  /** x ← B⁻¹ x for rows [first, first + count) of `x`: forward then backward substitution on each block. */
  solve(x: Float64Array, first: number, count: number): void {
    const { factor, d, blocks } = this.matrices;
    if (!factor) return;
    for (let j = 0; j < count; j++) {
      const v = x.subarray((first + j) * this.m, (first + j + 1) * this.m);
      for (const { range } of blocks) {
        forward(factor, d, range, v);
        // Lᵀ x = y by columns of Lᵀ, i.e. rows of L: contiguous.
        const [start, end] = range;
        for (let i = end - 1; i >= start; i--) {
          v[i] /= factor[i * d + i];
          const along = v[i];
          for (let q = start; q < i; q++) v[q] -= factor[i * d + q] * along;
        }
      }
    }
  }
}

/** y ← L⁻¹ y on the block `range` of the lower factor (row stride d): forward substitution. */
function forward(factor: Float64Array, d: number, [start, end]: [number, number], y: Float64Array): void {
  for (let i = start; i < end; i++) {
    let sum = y[i];
    for (let q = start; q < i; q++) sum -= factor[i * d + q] * y[q];
    y[i] = sum / factor[i * d + i];
  }
}

/** The players' space in float64 arrays: the basis [V; Δ̃; M], its images, the directions. */
class Float64PlayerSpace implements PlayerSpace {
  readonly s: Float64Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly delta: Float64Array;

  constructor(readonly p: number, private readonly m: number, private readonly onValues: (values: Float64Array) => void) {
    this.s = new Float64Array(3 * p * m);
    this.a = new Float64Array(3 * p * m);
    this.b = new Float64Array(3 * p * m);
    this.delta = new Float64Array(p * m);
  }

  grams(rows: number): { a: Float64Array; b: Float64Array } {
    return { a: symmetric(this.crossDots(this.a, rows), rows), b: symmetric(this.crossDots(this.b, rows), rows) };
  }

  move(coefficients: Float64Array, rows: number, momentum: boolean): void {
    const { p, m } = this;
    const out = momentum ? 2 * p : p;
    for (const basis of [this.s, this.a, this.b]) {
      const moved = new Float64Array(out * m);
      for (let i = 0; i < out; i++) {
        const target = moved.subarray(i * m, (i + 1) * m);
        for (let j = 0; j < rows; j++) {
          const weight = coefficients[i * rows + j];
          if (weight === 0) continue;
          const source = basis.subarray(j * m, (j + 1) * m);
          for (let c = 0; c < m; c++) target[c] += weight * source[c];
        }
      }
      basis.set(moved.subarray(0, p * m));
      if (momentum) basis.set(moved.subarray(p * m), 2 * p * m);
    }
  }

  directions(): void {
    const { p, m } = this;
    gammaDirections64(this.s.subarray(0, p * m), this.a.subarray(0, p * m), this.b.subarray(0, p * m), p, m, this.delta);
  }

  residuals(count: number): Float64Array {
    const { p, m } = this;
    return Float64Array.from({ length: count }, (_, i) => dot(this.delta.subarray(i * m, (i + 1) * m), this.s.subarray((p + i) * m, (p + i + 1) * m)));
  }

  report(values: Float64Array): void {
    this.onValues(values);
  }

  /** Δ̃ ← Δ, to be solved in place. */
  copyDirections(): void {
    this.s.set(this.delta, this.p * this.m);
  }

  private crossDots(images: Float64Array, rows: number): Float64Array {
    const { m } = this;
    const out = new Float64Array(rows * rows);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < rows; j++) out[i * rows + j] = dot(this.s.subarray(i * m, (i + 1) * m), images.subarray(j * m, (j + 1) * m));
    }
    return out;
  }
}

/**
 * Continues the devices' players (p × m, float64 copies of their float32 rows) in float64 until the residual bound
 * is below tol, FINISH_ROUNDS rounds, or maxSteps rounds in all (`deviceRounds` of them played already).
 */
export async function finishPencil(
  matrices: PencilMatrices, players: Float64Array, p: number, m: number, settings: GeneralizedSettings, deviceRounds: number,
): Promise<PencilSolution> {
  const { k, tol, maxSteps, onProgress, signal } = settings;
  const pencil = new Float64Pencil(matrices, m);
  let values: Float64Array = new Float64Array(0);
  const space = new Float64PlayerSpace(p, m, (found) => (values = found));
  space.s.set(players);
  await pencil.timesEach(space.s, 0, p, space.a, space.b, signal);
  const moves = Math.min(FINISH_ROUNDS, Math.max(0, maxSteps - deviceRounds));
  const judge = new PencilPlayers(space, { k, tol, maxSteps: moves + 2 }, FLOAT64_DROP, FLOAT64_RESOLUTION);
  judge.move(1);
  for (let step = 2; ; step++) {
    space.copyDirections();
    pencil.solve(space.s, p, p);
    const outcome = judge.judge(step);
    onProgress?.({ stage: 'float64', step: deviceRounds + step - 1, maxSteps, values: values.slice(0, k), residual: judge.largestResidual, remaining: judge.bound });
    if (outcome) {
      return {
        values: values.slice(0, k), vectors: space.s.slice(0, k * m), converged: outcome.converged, remaining: outcome.remaining,
        residuals: judge.residuals, ending: outcome.ending ?? 'cap', rounds: deviceRounds + step - 2, lowRankTrace: await pencil.lowRankTrace(signal),
      };
    }
    await pencil.timesEach(space.s, p, p, space.a, space.b, signal);
    judge.move(step);
    await turn(signal);
  }
}
