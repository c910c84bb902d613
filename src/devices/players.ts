// pca's players between two products: device 0 (or the one in-thread device) judges convergence and moves them.
//
// The devices have just left G = V A in memory (A the covariance, the Gram matrix, or XᵀX/n through a pass over
// the data). Every few rounds a Rayleigh–Ritz check: H = V Gᵀ is the operator seen by the players' span, its
// eigenpairs (θ_i, w_i) give Ritz vectors y_i = Σ_j w_ij v_j, and their residuals ‖A y_i − θ_i y_i‖ bound how far
// the span of the top k Ritz vectors is from the top-k eigenspace (Davis and Kahan's sin Θ theorem:
// ‖sin Θ‖²_F ≤ Σ_i ‖r_i‖² / δ², δ the gap between θ_k and the eigenvalues the k Ritz vectors leave out, estimated by
// θ_{k+1}). Otherwise, or while that bound is above `tol`, the players move: one round in order with heavy-ball
// momentum (assembly/play.ts), β = (θ_p / 2)² from the last player's Rayleigh quotient, so that the top-k span
// converges at about λ_{p+1}/λ_k's square root per round instead of λ_{k+1}/λ_k (more players than k, and the
// momentum, are what make slowly falling spectra cheap).

import type { KernelExports } from '../kernels/exports';
import type { MemoryPlan, PlayerPlan } from './memory';

/** What pca asks of the players' rounds (the 'play' job of schedule.ts). */
export interface PlayGoal {
  /** Components wanted (the top k of the p players). */
  k: number;
  /** Stop once the bound on the subspace distance still to go is below this. */
  tol: number;
  /** Rounds between checks. */
  checkEvery: number;
  /** The last round allowed: it checks instead of moving, so that G = V A stays the operator's image of V. */
  maxSteps: number;
}

export interface RoundOutcome {
  /** The bound on the subspace distance still to go at the last check (Infinity before the first). */
  remaining: number;
  converged: boolean;
  /** No more rounds: converged, or the last allowed. V and G = V A are left as they were checked. */
  stop: boolean;
}

/**
 * Ritz values below this share of the largest are the operator's null space (its rank is below k): float32's
 * rounding of A leaves them at about 1e-7 of the largest, and their directions are arbitrary. They are not waited for.
 */
const NULL_SHARE = 1e-6;
/** A player whose direction is shorter than this share of the largest Rayleigh quotient has none left. */
const NO_DIRECTION = 1e-12;

/** The most rounds a predicted check may be put off, in check intervals (a wrong prediction costs at most these). */
const MOST_INTERVALS_AHEAD = 4;
/**
 * Checks in a row that make no progress, after which the players stop short of tol: checks that set no new low of
 * the bound, or whose gap after the k-th Ritz value is below NULL_SHARE of the largest, which float32 products cannot
 * resolve any more than they resolve null values. That is what eigenvalues tied at the k-th do (exactly, or within
 * the data's own rounding, as beyond the rank of data far from zero: measured, a gap of 3e-8 of the largest, the
 * bound wandering between 1 and 2 for 150 rounds): the top-k span is then not unique, and more rounds only cost
 * time (before: maxSteps rounds). A bound that falls with a gap float32 can see sets a new low at almost every check.
 * With tol = 0 the caller asks for every one of maxSteps rounds, and gets them.
 */
const STALL_CHECKS = 8;

/** The players of one job (the host zeroes their previous positions before the first round). */
export class Players {
  private readonly buffers: PlayerPlan;
  private remaining = Infinity;
  /** The round of the next check, and the last check's round and bound (the bound's rate predicts the next). */
  private nextCheck = 0;
  private lastCheck: { step: number; bound: number } | null = null;
  /** The lowest bound so far, and the checks since it was set. */
  private lowest = Infinity;
  private checksWithoutProgress = 0;
  /** Whether the last check's gap after the k-th Ritz value was one float32 can resolve. */
  private gapResolved = true;

  constructor(private readonly kernels: KernelExports, private readonly memory: WebAssembly.Memory, private readonly plan: MemoryPlan) {
    if (!plan.players) throw new Error('this memory plan has no buffers for players');
    this.buffers = plan.players;
  }

  /** Round `step` (1-based) with G = V A in the plan's G. */
  round(step: number, goal: PlayGoal): RoundOutcome {
    const { kernels, plan, buffers } = this;
    const { k: p, d } = plan;
    kernels.rayleighQuotients(plan.g, plan.v, p, d, plan.utilities);
    const quotients = new Float64Array(this.memory.buffer, plan.utilities, p);
    const last = step >= goal.maxSteps;
    if (this.nextCheck === 0) this.nextCheck = goal.checkEvery;
    if (last || step >= this.nextCheck) {
      this.remaining = this.check(goal.k);
      if (this.remaining < goal.tol) return { remaining: this.remaining, converged: true, stop: true };
      const newLow = this.remaining < this.lowest;
      this.lowest = Math.min(this.lowest, this.remaining);
      if (newLow && this.gapResolved) {
        this.checksWithoutProgress = 0;
      } else if (++this.checksWithoutProgress >= STALL_CHECKS && goal.tol > 0) {
        return { remaining: this.remaining, converged: false, stop: true };
      }
      this.nextCheck = step + this.roundsToNextCheck(step, goal);
    }
    if (last) return { remaining: this.remaining, converged: false, stop: true };
    let largest = 0;
    let smallest = Infinity;
    for (let i = 0; i < p; i++) {
      largest = Math.max(largest, quotients[i]);
      smallest = Math.min(smallest, quotients[i]);
    }
    // With as many players as components the last one's own eigenvalue bounds the wanted ones: no momentum then.
    const beta = p > goal.k ? (Math.max(0, smallest) / 2) ** 2 : 0;
    kernels.play(plan.g, plan.v, buffers.u, p, d, beta, NO_DIRECTION * largest, buffers.row);
    return { remaining: this.remaining, converged: false, stop: false };
  }

  /**
   * Rounds until the next check. The bound falls geometrically once the players have found their span (measured:
   * by a factor of 25 to 40 every 2 rounds on power-law, MNIST-like and slowly falling spectra), so on a dense
   * operator, where a check costs more than a round (a p × p eigenproblem on one device, p·k·d residuals), the
   * rate between the last two checks says when the bound will pass `tol`: the next check is then, at least one
   * interval and at most MOST_INTERVALS_AHEAD away. Every round of the data route is a pass over the rows, costlier
   * than its check: it checks every round.
   */
  private roundsToNextCheck(step: number, goal: PlayGoal): number {
    const previous = this.lastCheck;
    const bound = this.remaining;
    this.lastCheck = { step, bound };
    if (goal.checkEvery === 1 || previous === null || !(bound > 0) || !Number.isFinite(bound) || !(bound < previous.bound)) {
      return goal.checkEvery;
    }
    const perRound = Math.log(bound / previous.bound) / (step - previous.step);
    const rounds = Math.ceil(Math.log(goal.tol / bound) / perRound);
    return Math.min(Math.max(rounds, goal.checkEvery), MOST_INTERVALS_AHEAD * goal.checkEvery);
  }

  /**
   * The Rayleigh–Ritz check: leaves H's eigenvalues (descending) and eigenvectors (rows) in the plan, and returns
   * the bound on the subspace distance (1 − tr(P_found P_true)/k) of the top-k Ritz vectors still to go.
   */
  private check(k: number): number {
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
    let wanted = 0;
    while (wanted < Math.min(k, p) && values[wanted] > NULL_SHARE * values[0]) wanted++;
    if (wanted === 0) return 0;
    kernels.ritzResiduals(buffers.ritz, buffers.theta, wanted, p, plan.v, plan.g, d, buffers.residuals, buffers.acc);
    const residuals = new Float64Array(this.memory.buffer, buffers.residuals, wanted);
    let sum = 0;
    for (let i = 0; i < wanted; i++) sum += residuals[i];
    const gap = values[wanted - 1] - (wanted < p ? Math.max(0, values[wanted]) : 0);
    this.gapResolved = gap > NULL_SHARE * values[0];
    return gap > 0 ? sum / (wanted * gap * gap) : Infinity;
  }
}
