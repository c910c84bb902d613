// A pencil A v = λ B v from the covariance pass's float64 sums, solved by the γ-EigenGame players: the float32 game
// on the devices (src/devices/pencil.ts), then the float64 finish on the host (finish.ts).
//
// What the host prepares once the pass is done: the sums made symmetric (the pass fills their upper triangle), a
// float32 copy that the devices' products read, B's Cholesky factor (float64, by column panels, yielding between
// them; a pivot that vanishes means B is singular, and the error names the column), its float32 copy with Lᵀ in the
// upper triangle, A's low-rank part, and the players' buffers: all in the kernels' memory, after the operator, where
// the pass's staged rows were.

import { turn, type Engine } from '../devices/engine';
import { pencilBufferBytes, pencilBuffers, type DenseTerm, type PencilPlan } from '../devices/pencil';
import { Rng } from '../math/rng';
import { finishPencil, type PencilMatrices, type PencilSolution } from './finish';
import { impossibleResult, type GeneralizedSettings } from './options';

export type { PencilSolution };

/** A block of B on the diagonal: the coordinates [start, end), what is added to its diagonal, and its columns' names. */
export interface FactorBlock {
  range: [number, number];
  /** Added to the block's diagonal (the regularization, in the pass's units). */
  ridge: number;
  /** The error when the block is singular: `column` is the first column (within the block) whose pivot vanished. */
  singular(column: number, constant: boolean): RangeError;
}

/** What a method asks to solve: its A and B as parts of the pass's covariance, and how many pairs. */
export interface PencilSpec {
  /** Coordinates of the players: the pass's columns (CCA, PLS: dx + dy; LDA: d). */
  m: number;
  /** The covariance the pass summed is sums / divisor. */
  divisor: number;
  /** The dense blocks of that covariance that make A's images and B's. */
  terms: DenseTerm[];
  /** B's diagonal blocks, each factored on its own; none: B = I. */
  blocks: FactorBlock[];
  /** A low-rank part of A: A += Fᵀ F for the rows of F (m values each, the pass's units), or null. */
  lowRank: { rows: number; values: Float64Array } | null;
  /** Players: the k wanted and some more (their span converges faster). */
  players: number;
  /** A pivot of B's factor below this share of its column's diagonal means B is singular (SUMMED_PIVOT or MOMENTS_PIVOT). */
  singularPivot: number;
}

/** Rounds between progress reports of the devices' game. */
const REPORT_EVERY = 5;
/** Columns of B's Cholesky factor per call of the kernel, between which the host yields. */
const FACTOR_PANEL = 64;
/**
 * A pivot below this share of its column's diagonal means B is singular, or so nearly that its sums cannot tell: the
 * column's variance not explained by the columns before it is at the level of the sums' rounding. The pass's float64
 * sums (covariance.ts) leave an exactly dependent column a pivot near n·1e-16 of its diagonal (1e-10: ten thousand
 * times that for a million rows), while B of condition number up to about 1e9 passes, which float64 eigh solves to
 * about 1e-7; Moments may come from Moments.of, whose float32 products leave such a column pivots of ±1e-9 to ±3e-7.
 */
export const SUMMED_PIVOT = 1e-10;
export const MOMENTS_PIVOT = 1e-5;

/** Bytes a pencil needs in the resident rows' region (after the pass), for the engine's plan. */
export function pencilRegionBytes(shape: { m: number; players: number; factored: boolean; lowRankRows: number }, d: number): number {
  const factor = shape.factored ? 12 * d * d + 128 : 0;
  const lowRank = shape.lowRankRows > 0 ? 4 * shape.lowRankRows * (shape.m + 2 * shape.players) + 128 : 0;
  return factor + lowRank + pencilBufferBytes(shape.m, shape.players);
}

/**
 * Solves the pencil `spec` on the engine whose operator holds the pass's sums (padded d × d, upper triangle), for
 * the top `settings.k` pairs.
 */
export async function solvePencil(engine: Engine, spec: PencilSpec, settings: GeneralizedSettings): Promise<PencilSolution> {
  const { plan: memoryPlan, memory } = engine.hostKernels();
  const d = engine.d;
  await engine.run({ kind: 'symmetrize', factor: 1 / spec.divisor, rows: { start: 0, end: d } }, undefined, settings.signal);
  const { sums, matrix } = engine.operator();
  await symmetrize(sums, d, settings.signal);
  for (const block of spec.blocks) {
    for (let c = block.range[0]; c < block.range[1]; c++) matrix[c * d + c] += block.ridge;
  }
  let cursor = memoryPlan.x;
  const take = (bytes: number) => {
    const at = cursor;
    cursor = Math.ceil((cursor + bytes) / 64) * 64;
    return at;
  };
  const factored = spec.blocks.length > 0;
  const factor64 = factored ? take(8 * d * d) : 0;
  const factor32 = factored ? take(4 * d * d) : 0;
  for (const block of spec.blocks) {
    await factorBlock(engine, block, d, spec.divisor, factor64, factor32, spec.singularPivot, settings.signal);
  }
  const lowRankAt = spec.lowRank ? take(4 * spec.lowRank.rows * spec.m) : 0;
  const lowRankScratch = spec.lowRank ? take(4 * spec.lowRank.rows * 2 * spec.players) : 0;
  if (spec.lowRank) new Float32Array(memory.buffer, lowRankAt, spec.lowRank.rows * spec.m).set(spec.lowRank.values);
  const { m } = spec;
  const p = spec.players;
  const plan: PencilPlan = {
    m, p, matrix: memoryPlan.operator!.matrix, ld: d, terms: spec.terms,
    lowRank: spec.lowRank ? { at: lowRankAt, rows: spec.lowRank.rows, scratch: lowRankScratch } : null,
    factor: factor32, blocks: spec.blocks.map((block) => block.range),
    ...pencilBuffers(cursor, m, p),
    values: memoryPlan.utilities,
  };
  startPlayers(new Float32Array(memory.buffer, plan.s, p * m), p, m, settings.seed);
  const { k, maxSteps, tol, onProgress, signal } = settings;
  const end = await engine.run(
    { kind: 'pencil', plan, goal: { k, tol, maxSteps }, reportEvery: REPORT_EVERY },
    onProgress && ((report) => onProgress({
      stage: 'float32', step: report.steps, maxSteps, values: report.utilities.slice(0, k), residual: report.residual, remaining: report.remaining,
    })),
    signal,
  );
  const matrices: PencilMatrices = {
    sums, d, divisor: spec.divisor, terms: spec.terms, lowRank: spec.lowRank,
    blocks: spec.blocks.map((block) => ({ range: block.range, ridge: block.ridge })),
    factor: factored ? new Float64Array(memory.buffer, factor64, d * d) : null,
  };
  const players = Float64Array.from(new Float32Array(memory.buffer, plan.s, p * m));
  const solution = await finishPencil(matrices, players, p, m, settings, end.steps);
  const bad = [solution.values, solution.vectors].findIndex((values) => !values.every(Number.isFinite));
  if (bad >= 0 || (solution.lowRankTrace !== null && !Number.isFinite(solution.lowRankTrace))) {
    throw impossibleResult(settings.method, bad === 1 ? 'a direction with a value that is not a number' : 'a value that is not a number', spec.singularPivot === MOMENTS_PIVOT);
  }
  return solution;
}

/** The players' starting rows: normal deviates drawn from the seed. */
function startPlayers(players: Float32Array, p: number, m: number, seed: number): void {
  const rng = Rng.fromSeed(seed);
  for (let i = 0; i < p * m; i++) players[i] = rng.nextNormal();
}

/** Rows of a d × d matrix that the host copies between turns of the event loop. */
const COPY_ROWS = 64;

/** The lower triangle of a d × d matrix made equal to the upper one (the pass sums the upper triangle). */
async function symmetrize(sums: Float64Array, d: number, signal?: AbortSignal): Promise<void> {
  for (let i = 0; i < d; i++) {
    if (i % COPY_ROWS === 0) await turn(signal);
    for (let j = 0; j < i; j++) sums[i * d + j] = sums[j * d + i];
  }
}

/**
 * B's Cholesky factor on one diagonal block, in float64 at `factor64` (row stride d), by panels of columns with a
 * yield between them, then in float32 at `factor32`, L below the diagonal and Lᵀ above it.
 */
async function factorBlock(
  engine: Engine, block: FactorBlock, d: number, divisor: number, factor64: number, factor32: number, singularPivot: number,
  signal?: AbortSignal,
): Promise<void> {
  const { kernels, memory } = engine.hostKernels();
  const { sums } = engine.operator();
  const [start, end] = block.range;
  const size = end - start;
  const l64 = new Float64Array(memory.buffer, factor64, d * d);
  for (let i = start; i < end; i++) {
    if ((i - start) % COPY_ROWS === 0) await turn(signal);
    for (let j = start; j <= i; j++) l64[i * d + j] = sums[i * d + j] / divisor;
    l64[i * d + i] += block.ridge;
  }
  const at = factor64 + (start * d + start) * 8;
  for (let first = 0; first < size; first += FACTOR_PANEL) {
    const failed = kernels.cholesky(at, size, d, first, Math.min(size, first + FACTOR_PANEL), singularPivot);
    if (failed >= 0) {
      const column = start + failed;
      throw block.singular(failed, !(sums[column * d + column] > 0));
    }
    await turn(signal);
  }
  const l32 = new Float32Array(memory.buffer, factor32, d * d);
  const lower = new Float64Array(memory.buffer, factor64, d * d);
  for (let i = start; i < end; i++) {
    if ((i - start) % COPY_ROWS === 0) await turn(signal);
    for (let j = start; j <= i; j++) {
      l32[i * d + j] = lower[i * d + j];
      l32[j * d + i] = lower[i * d + j];
    }
  }
}
