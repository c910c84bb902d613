// What a run of many steps does, as plain data (a Job) that the host sends to every device, and the loop that
// carries it out. The loop is deterministic: every device runs it on the same shared V and reaches the same
// decisions (batch sizes, convergence, when to stop) without talking to the others.

import { orthonormalSubspaceDistance, orthonormalizeRows } from '../math/linalg';
import type { PencilGoal, PencilPlan } from './pencil';
import type { Ending, PlayGoal } from './players';
import type { DeviceProgram, PlaySource, RateRule } from './program';
import type { Range } from './partition';

/**
 * `windows`: `steps` steps on consecutive windows of `batchSize` rows of the `rows` resident rows, starting over at
 * row 0 when a window would run past the end (EigenGame.step and EigenGame.run: the optimizer's rate; pca of a
 * streamed source: the 'rayleigh' rule scaled by `rateScale`).
 * `product`: no step: G = C V over the `rows` resident rows, left in the plan's G for the host (streamed pca).
 * `covariance`: no step: the covariance route's pass, the operator's sums += XᵀX over `rows` resident rows from row
 * `first`, packed in blocks of `blockRows`, block b's products times `weights[b]` (1/s² for rows scaled by s).
 * `scatter`: no step: the pencils' float64 pass, the operator's sums += the scatter of `rows` rows of deviations staged
 * as columns (assembly/deviations.ts) from float64 value `offset` of the plan's deviation blocks, in blocks of
 * `blockRows` rows (each block's columns `deviationStride(rows)` long), for C's rows in `band` and its columns from
 * `from` (of `order`).
 * `play`: pca's players on an operator (players.ts): the dense one in memory, the resident rows' XᵀX / n through
 * a pass per round, or the sparse matrix's X̃ᵀX̃ / n through its rows and columns, until every top-k pair's residual
 * is below `tol` or `maxSteps` rounds.
 * `gram-columns`: no step: the sparse Gram route's first product alone, Q = X̃ᵀRᵀ of the rows R the host left in
 * the players' images' buffer G, left in the plan's sparse buffers (SparsePlan.pt) for the host (the components'
 * residuals).
 * `sparse-covariance`: no step: the sparse covariance pass, the operator's float64 sums += Σ x xᵀ over the sparse
 * matrix's rows [first, first + rows).
 * `pencil`: the γ-EigenGame players on a pencil A v = λ B v laid out by `plan` (pencil.ts), until their residual
 * bound is below `tol`, stops improving, or `maxSteps` rounds.
 * `symmetrize`: no step: the operator's rows `rows` in float32 = factor × its float64 sums (their upper triangle),
 * each device a band of them.
 * `touch`: no step: every 4 KiB page of the memory's byte ranges `ranges` written once (its value kept), each
 * device a share of each range's pages, so that the operating system maps them before the host fills them.
 * `back-project`: no step: the sparse Gram route's components for the sparse matrix's columns [first, first +
 * count), Xᵀ times the plan's float64 vectors (`lanes` of them, `lanes` apart) into its float64 columns.
 */
export type Job =
  | {
    kind: 'windows'; rows: number; batchSize: number; steps: number; reportEvery: number; rule?: RateRule; rateScale?: number;
  }
  | { kind: 'product'; rows: number }
  | { kind: 'covariance'; rows: number; blockRows: number; first: number; weights: number[] }
  | { kind: 'scatter'; offset: number; rows: number; blockRows: number; order: number; band: Range; from: number }
  | ({ kind: 'play'; source: PlaySource; rows: number; reportEvery: number } & PlayGoal)
  | { kind: 'pencil'; plan: PencilPlan; goal: PencilGoal; reportEvery: number }
  | { kind: 'gram-columns' }
  | { kind: 'sparse-covariance'; first: number; rows: number }
  | { kind: 'symmetrize'; factor: number; rows: Range }
  | { kind: 'back-project'; first: number; count: number; lanes: number }
  | { kind: 'touch'; ranges: Range[] };

export interface StepReport {
  /** Steps taken in this job so far. */
  steps: number;
  /** Rows in the minibatch of the step just taken. */
  batchSize: number;
  /** pca's estimate of the subspace distance still to go (Infinity when unknown; windows: NaN). */
  remaining: number;
  /** Players and pencils: the largest residual of the top k Ritz pairs relative to θ_1 at the last check (else NaN). */
  residual: number;
  /** Whether the caller should hear about this step (its progress interval, or the last step). */
  report: boolean;
  /** Whether this was the job's last step. */
  last: boolean;
  /** Whether the job's stopping rule was met (pca: the estimate fell below `tol`); false after a cap or a stop. */
  converged: boolean;
  /** Players and pencils, on their last step: why they stopped. */
  ending?: Ending;
}

/** The report of a job that has taken no step. */
export const NO_STEP: StepReport = {
  steps: 0, batchSize: 0, remaining: NaN, residual: NaN, report: false, last: true, converged: false,
};

/**
 * Runs `job` on `program`, yielding after every step. `firstStep` is the number of steps the game took before
 * (Adam's bias correction counts on). Ends after the job's last step, or when the program reports a stop.
 */
export function* runJob(program: DeviceProgram, job: Job, firstStep: number): Generator<StepReport, void> {
  if (job.kind === 'windows') {
    yield* windows(program, job, firstStep);
  } else if (job.kind === 'product' || job.kind === 'covariance' || job.kind === 'scatter') {
    if (job.kind === 'product') program.product(0, job.rows);
    else if (job.kind === 'covariance') program.covariancePass(job.first, job.rows, job.blockRows, job.weights);
    else program.scatterPass(job.offset, job.rows, job.blockRows, job.order, job.band, job.from);
    yield { steps: 0, batchSize: job.rows, remaining: NaN, residual: NaN, report: false, last: true, converged: false };
  } else if (job.kind === 'pencil') {
    yield* pencilSchedule(program, job);
  } else if (job.kind === 'sparse-covariance') {
    program.sparseCovariancePass(job.first, job.rows);
    yield { steps: 0, batchSize: job.rows, remaining: NaN, residual: NaN, report: false, last: true, converged: false };
  } else if (job.kind === 'gram-columns') {
    program.gramColumns();
    yield { ...NO_STEP, batchSize: 0 };
  } else if (job.kind === 'symmetrize') {
    program.symmetrize(job.factor, job.rows);
    yield { ...NO_STEP, batchSize: job.rows.end - job.rows.start };
  } else if (job.kind === 'touch') {
    program.touch(job.ranges);
    yield { ...NO_STEP, batchSize: 0 };
  } else if (job.kind === 'back-project') {
    program.backProject(job.first, job.count, job.lanes);
    yield { ...NO_STEP, batchSize: job.count };
  } else {
    yield* playSchedule(program, job);
  }
}

function* windows(program: DeviceProgram, job: Extract<Job, { kind: 'windows' }>, firstStep: number) {
  let offset = 0;
  for (let step = 1; step <= job.steps; step++) {
    if (offset + job.batchSize > job.rows) offset = 0;
    const stop = program.step(offset, job.batchSize, firstStep + step, job.rule ?? 'optimizer', job.rateScale);
    offset += job.batchSize;
    const last = step === job.steps || stop;
    const report = last || step % job.reportEvery === 0;
    yield { steps: step, batchSize: job.batchSize, remaining: NaN, residual: NaN, report, last, converged: false };
    if (last) return;
  }
}

function* playSchedule(program: DeviceProgram, job: Extract<Job, { kind: 'play' }>) {
  const players = program.leadPlayers();
  for (let step = 1; ; step++) {
    const { stop, outcome } = program.playRound(job.source, job.rows, step, job, players);
    const report = stop || step % job.reportEvery === 0;
    yield {
      steps: step, batchSize: job.rows, remaining: outcome?.remaining ?? NaN, residual: outcome?.residual ?? NaN, report, last: stop,
      converged: outcome?.converged ?? false, ending: outcome?.ending,
    };
    if (stop) return;
  }
}

function* pencilSchedule(program: DeviceProgram, job: Extract<Job, { kind: 'pencil' }>) {
  const players = program.leadPencil(job.plan, job.goal);
  for (let step = 1; ; step++) {
    const { stop, outcome } = program.pencilRound(job.plan, step, players);
    const report = stop || step % job.reportEvery === 0;
    yield {
      steps: step, batchSize: job.plan.m, remaining: outcome?.remaining ?? NaN, residual: outcome?.residual ?? NaN, report, last: stop,
      converged: outcome?.converged ?? false, ending: outcome?.ending,
    };
    if (stop) return;
  }
}

/** Sine of the smallest subspace movement that float32 vectors show reliably over a check interval. */
const FLOAT32_SINE = 1e-6;

/**
 * Tracks how far the subspace still is from where the full-batch game converges. Every check it measures the
 * subspace distance moved since the last check; with linear convergence the sines of the remaining angles shrink
 * by a ratio q per interval, and the distance still to go is about (moved · q / (1 − q))² in sine terms. Reports
 * Infinity until three intervals have been seen or while the movement is not shrinking.
 */
export class ConvergenceEstimate {
  private basis: Float64Array | null = null;
  /** The last three moves (sine terms), most recent last. */
  private moves: number[] = [];
  remaining = Infinity;

  observe(vectors: Float32Array, k: number, d: number): void {
    const basis = Float64Array.from(vectors);
    const independent = orthonormalizeRows(basis, k, d);
    if (this.basis && independent) {
      const move = Math.sqrt(orthonormalSubspaceDistance(this.basis, basis, k, d));
      this.moves = [...this.moves.slice(-2), move];
      // Below FLOAT32_SINE the vectors, stored in float32, no longer move measurably: the game is at rest.
      this.remaining = move < FLOAT32_SINE ? move * move : this.extrapolate();
    } else {
      this.moves = [];
      this.remaining = Infinity;
    }
    this.basis = independent ? basis : null;
  }

  /** Geometric extrapolation with the slower of the last two ratios (momentum makes single ratios noisy). */
  private extrapolate(): number {
    if (this.moves.length < 3) return Infinity;
    const [a, b, c] = this.moves;
    const ratio = Math.max(b / a, c / b);
    return ratio < 1 ? ((c * ratio) / (1 - ratio)) ** 2 : Infinity;
  }
}
