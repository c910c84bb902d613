// pca's players between two products: device 0 (or the one in-thread device) judges convergence and moves them.
//
// The devices have just left G = V A in memory (A the covariance, the Gram matrix, or XᵀX/n through a pass over
// the data). Every few rounds a Rayleigh–Ritz check: H = V Gᵀ is the operator seen by the players' span, its
// eigenpairs (θ_i, w_i) give Ritz vectors y_i = Σ_j w_ij v_j, and their residuals ‖A y_i − θ_i y_i‖ (combined in
// float64) say how far each pair is from an eigenpair. The players have converged, as ARPACK judges it, when each
// of the top k pairs has a residual below tol times ‖A‖ (θ_1): every pair is then an exact eigenpair of A + E with
// ‖E‖ ≤ tol·‖A‖, its value within ~‖r‖²/gap of the eigenvalue, its vector within ‖r‖/gap of the eigenvector, and
// eigenvalues tied among the top k give one orthonormal basis of their eigenspace. The Davis–Kahan bound on the
// top-k span (‖sin Θ‖²_F ≤ Σ_i ‖r_i‖² / δ², δ the gap after θ_k) is still computed and reported; in a flat tail
// it can sit far above any tolerance while every pair is as accurate as float32 products allow.
// Otherwise the players move: one round in order with heavy-ball momentum, β = (θ_p / 2)² from the last player's
// Rayleigh quotient: their directions W = G − β U made orthonormal in the players' order, by the Cholesky factor of
// W Wᵀ that the devices sum by columns (PlayerMove), or row by row on device 0 where W is near singular
// (assembly/play.ts), so that the top-k span converges at about λ_{p+1}/λ_k's square root per
// round instead of λ_{k+1}/λ_k (more players than k, and the momentum, are what make slowly falling spectra cheap).
// They stop short of tol only when a cap is met or when the checks measure that nothing improves any more: neither
// a new low of the largest residual nor a rise of the top-k Ritz values for STAGNANT_CHECKS checks (float32's floor).

import type { KernelExports } from '../kernels/exports';
import type { MemoryPlan, PlayerPlan } from './memory';
import { MOVE_BLOCK_COLUMNS, moveChunks, part } from './partition';

/** Device 0's word on a round's move: none (the players stop), sum S, apply T, or moved in order already. */
const MOVE_NONE = 0;
const MOVE_GRAM = 1;
const MOVE_APPLY = 2;
const MOVE_IN_ORDER = 3;
/**
 * The factor of S = W Wᵀ is used only where every pivot keeps at least this share of its diagonal (L_ii ≥ 1e-4 ‖w_i‖):
 * S is summed in float64 from float32 rows, so the rows L⁻¹W are then orthonormal to about 1e-16 / 1e-8, below
 * float32's rounding of them. W that close to singular (a start far from the span, or an operator of rank below p)
 * is moved in order instead (assembly/play.ts).
 */
const SMALLEST_PIVOT = 1e-8;

/** What pca asks of the players' rounds (the 'play' job of schedule.ts). */
export interface PlayGoal {
  /** Components wanted (the top k of the p players). */
  k: number;
  /** Stop once every one of the top k Ritz pairs has a residual ‖A y − θ y‖ below tol · θ_1. */
  tol: number;
  /** Rounds between checks. */
  checkEvery: number;
  /** The last round allowed: it checks instead of moving, so that G = V A stays the operator's image of V. */
  maxSteps: number;
}

/** How a job of players ended: converged, stopped by a cap, or stopped because the checks measured no progress. */
export type Ending = 'converged' | 'cap' | 'stagnant';

export interface RoundOutcome {
  /** The Davis–Kahan bound on the subspace distance of the top-k span still to go at the last check (Infinity before the first). */
  remaining: number;
  /** The largest residual of the top k Ritz pairs at the last check, relative to θ_1 (Infinity before the first). */
  residual: number;
  converged: boolean;
  /** No more rounds: converged, the last allowed, or stagnant. V and G = V A are left as they were checked. */
  stop: boolean;
  /** Why the players stopped (when `stop`). */
  ending?: Ending;
}

/**
 * Ritz values below this share of the largest are the operator's null space (its rank is below k): float32's
 * rounding of A leaves them at about 1e-7 of the largest, and their directions are arbitrary. The subspace bound
 * leaves them out (its gap would be rounding); their residuals are judged like any other.
 */
const NULL_SHARE = 1e-6;
/** A player whose direction is shorter than this share of the largest Rayleigh quotient has none left. */
const NO_DIRECTION = 1e-12;

/** The most rounds a predicted check may be put off (a wrong prediction costs at most these), or one interval if longer. */
const MOST_ROUNDS_AHEAD = 8;
/**
 * Checks in a row without progress after which the players stop short of tol: float32's floor. A check makes
 * progress when the largest residual of the top k sets a new low by more than RESIDUAL_STEP, or when the sum of
 * the top k Ritz values (which Rayleigh–Ritz on a better span raises) rises above its highest by more than
 * VALUE_RESOLUTION · k · θ_1 (float32 products leave that much noise in them). A tol below what float32 products
 * resolve (about 1e-7 of θ_1 and some) is met this way: measured, not guessed. With tol = 0 the caller asks for
 * every one of maxSteps rounds, and gets them.
 */
export const STAGNANT_CHECKS = 6;
export const RESIDUAL_STEP = 0.95;
export const VALUE_RESOLUTION = 2 ** -22;

/**
 * Watches a game's checks for progress: new lows of the largest residual, or rises of the top-k Ritz values.
 * Shared by pca's players and the pencils'.
 */
export class ProgressWatch {
  private lowest = Infinity;
  private highest = -Infinity;
  private without = 0;

  constructor(private readonly patience: number) {}

  /** Records a check (largest relative residual, sum of the top Ritz values, their resolution); true once it is stuck. */
  stuck(residual: number, valueSum: number, resolution: number): boolean {
    const lower = residual < RESIDUAL_STEP * this.lowest;
    const higher = valueSum > this.highest + resolution;
    this.lowest = Math.min(this.lowest, residual);
    this.highest = Math.max(this.highest, valueSum);
    this.without = lower || higher ? 0 : this.without + 1;
    return this.without >= this.patience;
  }
}

/** The players of one job (the host zeroes their previous positions before the first round). */
export class Players {
  private readonly buffers: PlayerPlan;
  private remaining = Infinity;
  private residual = Infinity;
  /** The round of the next check, and the last check's round and largest residual (its rate predicts the next). */
  private nextCheck = 0;
  private lastCheck: { step: number; residual: number } | null = null;
  private readonly watch = new ProgressWatch(STAGNANT_CHECKS);
  /** Whether a check has left Ritz values (reported as the utilities from then on). */
  private checked = false;

  constructor(private readonly kernels: KernelExports, private readonly memory: WebAssembly.Memory, private readonly plan: MemoryPlan) {
    if (!plan.players) throw new Error('this memory plan has no buffers for players');
    this.buffers = plan.players;
  }

  /**
   * Round `step` (1-based) with G = V A in the plan's G: a check when one is due, then, unless the players stop, the
   * move asked of every device (MOVE_GRAM, PlayerMove).
   */
  round(step: number, goal: PlayGoal): RoundOutcome {
    const { kernels, plan, buffers } = this;
    const { k: p, d } = plan;
    this.word[0] = MOVE_NONE;
    kernels.rayleighQuotients(plan.g, plan.v, p, d, plan.utilities);
    const quotients = new Float64Array(this.memory.buffer, plan.utilities, p);
    let largest = 0;
    let smallest = Infinity;
    for (let i = 0; i < p; i++) {
      largest = Math.max(largest, quotients[i]);
      smallest = Math.min(smallest, quotients[i]);
    }
    const last = step >= goal.maxSteps;
    if (this.nextCheck === 0) this.nextCheck = goal.checkEvery;
    if (last || step >= this.nextCheck) {
      const { bound, residual, valueSum, scale } = this.check(goal.k);
      this.remaining = bound;
      this.residual = residual;
      this.checked = true;
      if (residual <= goal.tol) return this.outcome(true, true, 'converged');
      const stuck = this.watch.stuck(residual, valueSum, VALUE_RESOLUTION * Math.min(goal.k, p) * scale);
      if (stuck && goal.tol > 0) return this.outcome(false, true, 'stagnant');
      this.nextCheck = step + this.roundsToNextCheck(step, goal);
    }
    // Progress reports carry the last check's Ritz values: the quotients of players within a tied span are not them.
    if (this.checked) quotients.set(new Float64Array(this.memory.buffer, buffers.theta, p));
    if (last) return this.outcome(false, true, 'cap');
    // With as many players as components the last one's own eigenvalue bounds the wanted ones: no momentum then.
    const beta = p > goal.k ? (Math.max(0, smallest) / 2) ** 2 : 0;
    this.word.set([MOVE_GRAM, beta, NO_DIRECTION * largest]);
    return this.outcome(false, false);
  }

  /** The round's move in this thread, for a caller that is the only device (streamed pca's host between passes). */
  moveAlone(): void {
    const move = new PlayerMove(this.kernels, this.memory, this.plan, 0, 1);
    if (!move.moving) return;
    move.sumGram();
    this.factorMove();
    move.apply();
  }

  /** Device 0's word to the devices on this round's move (MOVE_*, β, the floor). */
  private get word(): Float64Array {
    return new Float64Array(this.memory.buffer, this.buffers.move, 3);
  }

  /**
   * Between the move's two phases: S = W Wᵀ from the chunks' sums (in chunk order), its Cholesky factor L and T = L⁻¹
   * for every device to apply (MOVE_APPLY), or, where a pivot says W is too close to singular for the factor to give
   * orthonormal rows (MOVE_IN_ORDER), the players are moved here in order, row by row (assembly/play.ts: it keeps a
   * player with no direction left where it is).
   */
  factorMove(): void {
    const { kernels, plan, buffers } = this;
    const { k: p, d } = plan;
    const word = this.word;
    if (word[0] !== MOVE_GRAM) return;
    const chunks = moveChunks(p, d).count;
    const sums = new Float64Array(this.memory.buffer, buffers.factor, p * p);
    const partials = new Float64Array(this.memory.buffer, buffers.grams, chunks * p * p);
    for (let i = 0; i < p; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = 0;
        for (let c = 0; c < chunks; c++) sum += partials[c * p * p + i * p + j];
        sums[i * p + j] = sum;
      }
    }
    const singular = kernels.cholesky(buffers.factor, p, p, 0, p, SMALLEST_PIVOT) >= 0;
    const floor = word[2];
    let usable = !singular;
    for (let i = 0; usable && i < p; i++) usable = sums[i * p + i] > floor;
    if (!usable) {
      kernels.play(plan.g, plan.v, buffers.u, p, d, word[1], floor, buffers.row);
      word[0] = MOVE_IN_ORDER;
      return;
    }
    invertLower(sums, p);
    word[0] = MOVE_APPLY;
  }

  private outcome(converged: boolean, stop: boolean, ending?: Ending): RoundOutcome {
    if (stop) new Float64Array(this.memory.buffer, this.plan.utilities, this.plan.k).set(new Float64Array(this.memory.buffer, this.buffers.theta, this.plan.k));
    return { remaining: this.remaining, residual: this.residual, converged, stop, ending };
  }

  /**
   * Rounds until the next check. Residuals fall geometrically once the players have found their span, so where
   * checks are spaced out (goal.checkEvery > 1: on a dense operator a check costs more than a round, a p × p
   * eigenproblem on one device and p·k·d residuals; on a wide sparse matrix as much as its products), the rate
   * between the last two checks says when the largest will pass `tol`: the next check is then, at least one
   * interval and at most MOST_ROUNDS_AHEAD away. Where a round's products cost far more than its check
   * (solve.ts productCheckEvery), the players are checked every round.
   */
  private roundsToNextCheck(step: number, goal: PlayGoal): number {
    const previous = this.lastCheck;
    const residual = this.residual;
    this.lastCheck = { step, residual };
    if (goal.checkEvery === 1 || previous === null || !(residual > 0) || !Number.isFinite(residual) || !(residual < previous.residual)) {
      return goal.checkEvery;
    }
    const perRound = Math.log(residual / previous.residual) / (step - previous.step);
    const rounds = Math.ceil(Math.log(goal.tol / residual) / perRound);
    return Math.min(Math.max(rounds, goal.checkEvery), Math.max(MOST_ROUNDS_AHEAD, goal.checkEvery));
  }

  /**
   * The Rayleigh–Ritz check: leaves H's eigenvalues (descending), eigenvectors (rows) and the top k pairs' squared
   * residuals in the plan, and returns the largest residual relative to θ_1, the Davis–Kahan bound on the subspace
   * distance (1 − tr(P_found P_true)/k) of the top-k span still to go, the sum of the top k values and θ_1.
   */
  private check(k: number): { bound: number; residual: number; valueSum: number; scale: number } {
    const { kernels, plan, buffers } = this;
    const { k: p, d } = plan;
    kernels.crossDots(plan.v, p, plan.g, p, d, buffers.h);
    const h = new Float64Array(this.memory.buffer, buffers.h, p * p);
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < i; j++) h[i * p + j] = h[j * p + i] = (h[i * p + j] + h[j * p + i]) / 2;
    }
    // In place: H's columns become its eigenvectors, theta its eigenvalues (unsorted), residuals the scratch.
    kernels.symmetricEigen(buffers.h, p, buffers.theta, buffers.residuals);
    const theta = new Float64Array(this.memory.buffer, buffers.theta, p);
    const order = Array.from({ length: p }, (_, i) => i).sort((a, b) => theta[b] - theta[a]);
    const values = Float64Array.from(order, (i) => theta[i]);
    theta.set(values);
    const ritz = new Float64Array(this.memory.buffer, buffers.ritz, p * p);
    for (let row = 0; row < p; row++) for (let i = 0; i < p; i++) ritz[row * p + i] = h[i * p + order[row]];
    const top = Math.min(k, p);
    const scale = Math.max(Math.abs(values[0]), Math.abs(values[p - 1]));
    if (!(scale > 0)) return { bound: 0, residual: 0, valueSum: 0, scale: 0 };
    kernels.ritzResiduals(buffers.ritz, buffers.theta, top, p, plan.v, plan.g, d, buffers.residuals, buffers.acc);
    const squares = new Float64Array(this.memory.buffer, buffers.residuals, top);
    let worst = 0;
    let valueSum = 0;
    for (let i = 0; i < top; i++) {
      worst = Math.max(worst, squares[i]);
      valueSum += values[i];
    }
    return { bound: subspaceBound(squares, values, k, p), residual: Math.sqrt(worst) / scale, valueSum, scale };
  }
}

/** T ← L⁻¹ in place for the lower triangle L of a p × p row-major matrix (float64; the upper triangle is not read). */
function invertLower(t: Float64Array, p: number): void {
  const l = t.slice();
  for (let j = 0; j < p; j++) {
    t[j * p + j] = 1 / l[j * p + j];
    for (let i = j + 1; i < p; i++) {
      let sum = 0;
      for (let m = j; m < i; m++) sum += l[i * p + m] * t[m * p + j];
      t[i * p + j] = -sum / l[i * p + i];
    }
  }
}

/**
 * A round's move on every device (program.ts playRound), after device 0's round: each device sums S = W Wᵀ over its
 * share of the column chunks (W = G − β U, assembly/directiongram.ts); device 0 factors it (Players.factorMove); each
 * device then moves its chunks' columns, V ← L⁻¹ W and U ← L⁻¹ V (assembly/triangularmove.ts). That is Gram–Schmidt
 * of the directions in the players' order, as a round in order (assembly/play.ts) does it, in two passes over the
 * players shared by the devices instead of p² / 2 passes on one.
 */
export class PlayerMove {
  private readonly buffers: PlayerPlan;
  private readonly chunks: { count: number; columns: number };
  private readonly mine: { start: number; end: number };
  private readonly block: number;

  constructor(private readonly kernels: KernelExports, private readonly memory: WebAssembly.Memory, private readonly plan: MemoryPlan, device: number, devices: number) {
    if (!plan.players) throw new Error('this memory plan has no buffers for players');
    this.buffers = plan.players;
    this.chunks = moveChunks(plan.k, plan.d);
    this.mine = part(this.chunks.count, devices, device);
    this.block = this.buffers.blocks + device * this.buffers.blockStride;
  }

  /** What device 0 has asked of the devices (MOVE_*), with β. */
  private get word(): Float64Array {
    return new Float64Array(this.memory.buffer, this.buffers.move, 3);
  }

  /** Whether the players move this round (device 0's round did not stop them). */
  get moving(): boolean {
    return this.word[0] !== MOVE_NONE;
  }

  /** This device's chunks' partial S. */
  sumGram(): void {
    const { kernels, plan, buffers, chunks } = this;
    const { k: p, d } = plan;
    const beta = this.word[1];
    for (let c = this.mine.start; c < this.mine.end; c++) {
      const first = c * chunks.columns;
      const count = Math.min(d, first + chunks.columns) - first;
      kernels.directionGram(plan.g, buffers.u, p, d, first, count, beta, this.block, MOVE_BLOCK_COLUMNS, buffers.grams + c * p * p * 8);
    }
  }

  /** This device's chunks' columns moved by T = L⁻¹ (unless device 0 moved the players in order). */
  apply(): void {
    const { kernels, plan, buffers, chunks } = this;
    const { k: p, d } = plan;
    const word = this.word;
    if (word[0] !== MOVE_APPLY) return;
    for (let c = this.mine.start; c < this.mine.end; c++) {
      const first = c * chunks.columns;
      const count = Math.min(d, first + chunks.columns) - first;
      kernels.triangularMove(buffers.factor, plan.g, buffers.u, plan.v, p, d, first, count, word[1], this.block, MOVE_BLOCK_COLUMNS);
    }
  }
}

/**
 * The Davis–Kahan bound on the subspace distance (1 − tr(P_found P_true)/k) of the top k Ritz vectors still to go,
 * from their squared residuals and the Ritz values (descending): Σ‖r_i‖² / (k δ²), δ the gap after the last value
 * above the null space. Infinity where that gap is zero.
 */
export function subspaceBound(squares: ArrayLike<number>, values: ArrayLike<number>, k: number, p: number): number {
  let wanted = 0;
  while (wanted < Math.min(k, p) && values[wanted] > NULL_SHARE * values[0]) wanted++;
  if (wanted === 0) return 0;
  let sum = 0;
  for (let i = 0; i < wanted; i++) sum += squares[i];
  const gap = values[wanted - 1] - (wanted < p ? Math.max(0, values[wanted]) : 0);
  return gap > 0 ? sum / (wanted * gap * gap) : Infinity;
}
