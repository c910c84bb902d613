// pca's players between two products: every device sums its column chunks of their dots, residuals and move
// (PlayerShare); device 0 (or the one in-thread device) adds the chunks in order, judges convergence and factors the
// move (Players). The chunks are fixed by p and d alone, so the bits do not depend on the number of devices.
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
// W Wᵀ that the devices sum by columns (PlayerShare), or row by row on device 0 where W is near singular
// (assembly/play.ts), so that the top-k span converges at about λ_{p+1}/λ_k's square root per
// round instead of λ_{k+1}/λ_k (more players than k, and the momentum, are what make slowly falling spectra cheap).
// They stop short of tol only when a cap is met or when the checks measure that nothing improves any more: neither
// a new low of the largest residual nor a rise of the top-k Ritz values for STAGNANT_CHECKS checks (float32's floor).

import type { KernelExports } from '../kernels/exports';
import { PLAYER_WORD_VALUES, type MemoryPlan, type PlayerPlan } from './memory';
import { MOVE_BLOCK_COLUMNS, moveChunks, part } from './partition';

/**
 * Device 0's word to the devices within a round (float64 values, PlayerPlan.move): the STAGE they are to do next
 * (none: the players stop; the check's residuals; the move's Gram matrix; its factor's application; nothing, as
 * device 0 moved them in order), β and the floor of the move, the round of the next check, the top pairs checked.
 */
const STAGE = 0;
const BETA = 1;
const FLOOR = 2;
const NEXT_CHECK = 3;
const TOP = 4;
const STAGE_NONE = 0;
const STAGE_RESIDUALS = 1;
const STAGE_GRAM = 2;
const STAGE_APPLY = 3;
const STAGE_IN_ORDER = 4;
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

/** The players of one job, judged on device 0 (the host zeroes their previous positions before the first round). */
export class Players {
  private readonly buffers: PlayerPlan;
  private readonly chunks: number;
  private remaining = Infinity;
  private residual = Infinity;
  /** The round of the next check, and the last check's round and largest residual (its rate predicts the next). */
  private nextCheck = 0;
  private lastCheck: { step: number; residual: number } | null = null;
  private readonly watch = new ProgressWatch(STAGNANT_CHECKS);
  /** Whether a check has left Ritz values (reported as the utilities from then on). */
  private checked = false;
  /** The players' largest and smallest Rayleigh quotients this round. */
  private largest = 0;
  private smallest = 0;

  constructor(private readonly kernels: KernelExports, private readonly memory: WebAssembly.Memory, private readonly plan: MemoryPlan) {
    if (!plan.players) throw new Error('this memory plan has no buffers for players');
    this.buffers = plan.players;
    this.chunks = moveChunks(plan.k, plan.d).count;
  }

  /**
   * After every device has summed its chunks' dots (PlayerShare.sumDots): the Rayleigh quotients, and on a check
   * round H = V Gᵀ, its eigenpairs and the Ritz rows for the devices' residual sums (STAGE_RESIDUALS: the outcome
   * comes from afterResiduals); on the other rounds the outcome, with the move asked of the devices.
   */
  afterDots(step: number, goal: PlayGoal, checking: boolean): RoundOutcome | null {
    const { plan } = this;
    const p = plan.k;
    // Unchecked, the sums are the Rayleigh quotients; on a check, H (its diagonal the quotients).
    const dots = this.sumChunks(checking ? p * p : p, checking ? this.buffers.h : plan.utilities);
    const quotients = new Float64Array(this.memory.buffer, plan.utilities, p);
    if (checking) for (let i = 0; i < p; i++) quotients[i] = dots[i * p + i];
    this.largest = 0;
    this.smallest = Infinity;
    for (let i = 0; i < p; i++) {
      this.largest = Math.max(this.largest, quotients[i]);
      this.smallest = Math.min(this.smallest, quotients[i]);
    }
    if (this.nextCheck === 0) this.nextCheck = goal.checkEvery;
    if (!checking) return this.conclude(step, goal, null);
    const scale = this.ritzPairs();
    if (!(scale > 0)) return this.conclude(step, goal, { bound: 0, residual: 0, valueSum: 0, scale: 0 });
    const word = this.word;
    word[STAGE] = STAGE_RESIDUALS;
    word[TOP] = Math.min(goal.k, p);
    return null;
  }

  /** After every device has summed its chunks' squared residuals of the top Ritz pairs: the check's outcome. */
  afterResiduals(step: number, goal: PlayGoal): RoundOutcome {
    const { plan, buffers } = this;
    const p = plan.k;
    const top = Math.min(goal.k, p);
    const squares = this.sumChunks(top, buffers.residuals);
    const values = new Float64Array(this.memory.buffer, buffers.theta, p);
    let worst = 0;
    let valueSum = 0;
    for (let i = 0; i < top; i++) {
      worst = Math.max(worst, squares[i]);
      valueSum += values[i];
    }
    const scale = Math.max(Math.abs(values[0]), Math.abs(values[p - 1]));
    return this.conclude(step, goal, { bound: subspaceBound(squares, values, goal.k, p), residual: Math.sqrt(worst) / scale, valueSum, scale });
  }

  /**
   * The round's outcome from its check (null on a round without one): stop (converged, stagnant, or the last round
   * allowed), or the move asked of the devices (STAGE_GRAM, with β and the floor) and the round of the next check.
   */
  private conclude(step: number, goal: PlayGoal, check: { bound: number; residual: number; valueSum: number; scale: number } | null): RoundOutcome {
    const p = this.plan.k;
    const word = this.word;
    word[STAGE] = STAGE_NONE;
    if (check) {
      this.remaining = check.bound;
      this.residual = check.residual;
      this.checked = true;
      if (check.residual <= goal.tol) return this.outcome(true, true, 'converged');
      const stuck = this.watch.stuck(check.residual, check.valueSum, VALUE_RESOLUTION * Math.min(goal.k, p) * check.scale);
      if (stuck && goal.tol > 0) return this.outcome(false, true, 'stagnant');
      this.nextCheck = step + this.roundsToNextCheck(step, goal);
    }
    // Progress reports carry the last check's Ritz values: the quotients of players within a tied span are not them.
    if (this.checked) new Float64Array(this.memory.buffer, this.plan.utilities, p).set(new Float64Array(this.memory.buffer, this.buffers.theta, p));
    if (step >= goal.maxSteps) return this.outcome(false, true, 'cap');
    // With as many players as components the last one's own eigenvalue bounds the wanted ones: no momentum then.
    const beta = p > goal.k ? (Math.max(0, this.smallest) / 2) ** 2 : 0;
    word[STAGE] = STAGE_GRAM;
    word[BETA] = beta;
    word[FLOOR] = NO_DIRECTION * this.largest;
    word[NEXT_CHECK] = this.nextCheck;
    return this.outcome(false, false);
  }

  /**
   * The chunks' partial sums of `count` values, added in chunk order into the float64 buffer at `target`
   * (assembly/accumulate.ts addF64: p² values over up to 64 chunks a round, on device 0 while the others wait).
   */
  private sumChunks(count: number, target: number): Float64Array {
    const { grams } = this.buffers;
    new Uint8Array(this.memory.buffer).copyWithin(target, grams, grams + count * 8);
    for (let c = 1; c < this.chunks; c++) this.kernels.addF64(target, grams + c * count * 8, count);
    return new Float64Array(this.memory.buffer, target, count);
  }

  /**
   * The check's Rayleigh–Ritz step from H = V Gᵀ (summed over the chunks into its buffer): H's eigenvalues
   * (descending) and eigenvectors (rows) left in the plan. Returns the largest magnitude of a value (0: the operator
   * sees nothing).
   */
  private ritzPairs(): number {
    const { kernels, plan, buffers } = this;
    const p = plan.k;
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
    return Math.max(Math.abs(values[0]), Math.abs(values[p - 1]));
  }

  /** Device 0's word to the devices on this round (STAGE and the rest). */
  private get word(): Float64Array {
    return wordOf(this.memory, this.buffers);
  }

  /**
   * Between the move's two phases: S = W Wᵀ from the chunks' sums (in chunk order), its Cholesky factor L and T = L⁻¹
   * for every device to apply (STAGE_APPLY), or, where a pivot says W is too close to singular for the factor to give
   * orthonormal rows (STAGE_IN_ORDER), the players are moved here in order, row by row (assembly/play.ts: it keeps a
   * player with no direction left where it is).
   */
  factorMove(): void {
    const { kernels, plan, buffers } = this;
    const { k: p, d } = plan;
    const word = this.word;
    // The chunks' lower triangles added in chunk order (their upper triangles are left over from other sums, and
    // neither the factor nor its inverse reads them).
    const sums = this.sumChunks(p * p, buffers.factor);
    const singular = kernels.cholesky(buffers.factor, p, p, 0, p, SMALLEST_PIVOT) >= 0;
    const floor = word[FLOOR];
    let usable = !singular;
    for (let i = 0; usable && i < p; i++) usable = sums[i * p + i] > floor;
    if (!usable) {
      kernels.play(plan.g, plan.v, buffers.u, p, d, word[BETA], floor, buffers.row);
      word[STAGE] = STAGE_IN_ORDER;
      return;
    }
    invertLower(sums, p);
    word[STAGE] = STAGE_APPLY;
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
}

/**
 * One round of the players once G = V A is in memory, on every device: each device sums its chunks' dots, device 0
 * (`players`; null on the others) takes them in; on a check round each device sums its chunks' residuals and device
 * 0 judges; unless the players stop, each device sums its chunks of the move's Gram matrix, device 0 factors it and
 * each device moves its chunks' columns. `wait` is the devices' barrier (nothing for a lone device). Returns device
 * 0's outcome (null on the others).
 */
export function playRound(share: PlayerShare, players: Players | null, step: number, goal: PlayGoal, wait: () => void): RoundOutcome | null {
  const checking = share.checks(step, goal);
  share.sumDots(checking);
  wait();
  let outcome = players ? players.afterDots(step, goal, checking) : null;
  wait();
  if (share.stage === STAGE_RESIDUALS) {
    share.sumResiduals();
    wait();
    if (players) outcome = players.afterResiduals(step, goal);
    wait();
  }
  if (share.stage === STAGE_GRAM) {
    share.sumGram();
    wait();
    players?.factorMove();
    wait();
    share.apply();
  }
  return outcome;
}

/** The word device 0 leaves for the devices (STAGE, BETA, FLOOR, NEXT_CHECK, TOP). */
function wordOf(memory: WebAssembly.Memory, buffers: PlayerPlan): Float64Array {
  return new Float64Array(memory.buffer, buffers.move, PLAYER_WORD_VALUES);
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
 * This device's share of the players' work between two products: the dots with their images, the Ritz pairs'
 * residuals and the move, each over its share of the column chunks (partition.ts moveChunks), each chunk's sums
 * left for device 0 to add in chunk order (Players). The move is Gram–Schmidt of the directions W = G − β U in the
 * players' order, as assembly/play.ts does it row by row, done as S = W Wᵀ (assembly/directiongram.ts), its
 * Cholesky factor L (device 0), and V ← L⁻¹ W, U ← L⁻¹ V (assembly/triangularmove.ts): two passes over the players
 * shared by the devices instead of p² / 2 passes on one.
 */
export class PlayerShare {
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

  private get word(): Float64Array {
    return wordOf(this.memory, this.buffers);
  }

  /** What device 0 has asked of the devices next (STAGE_*). */
  get stage(): number {
    return this.word[STAGE];
  }

  /** Whether round `step` checks the players: the last round allowed, or the one device 0 set (round 1: checkEvery). */
  checks(step: number, goal: PlayGoal): boolean {
    return step >= goal.maxSteps || step >= (step === 1 ? goal.checkEvery : this.word[NEXT_CHECK]);
  }

  /** Calls `each(first, count, slot)` for this device's chunks: columns [first, first + count), the chunk's index. */
  private forEachChunk(each: (first: number, count: number, chunk: number) => void): void {
    const { d } = this.plan;
    const { columns } = this.chunks;
    for (let c = this.mine.start; c < this.mine.end; c++) each(c * columns, Math.min(d, (c + 1) * columns) - c * columns, c);
  }

  /** This device's chunks' dots: every ⟨v_i, g_j⟩ on a check round, else the Rayleigh quotients ⟨v_i, g_i⟩. */
  sumDots(all: boolean): void {
    const { kernels, plan, buffers } = this;
    const { k: p, d } = plan;
    const size = all ? p * p : p;
    this.forEachChunk((first, count, c) => {
      kernels.playerDots(plan.v, plan.g, p, d, first, count, all, this.block, MOVE_BLOCK_COLUMNS, buffers.grams + c * size * 8);
    });
  }

  /** This device's chunks' squared residuals of the top Ritz pairs (device 0 left their number and rows). */
  sumResiduals(): void {
    const { kernels, plan, buffers } = this;
    const { k: p, d } = plan;
    const top = this.word[TOP];
    this.forEachChunk((first, count, c) => {
      kernels.ritzResidualSums(buffers.ritz, buffers.theta, top, p, plan.v, plan.g, d, first, count, this.block, MOVE_BLOCK_COLUMNS, buffers.grams + c * top * 8);
    });
  }

  /** This device's chunks' partial S = W Wᵀ. */
  sumGram(): void {
    const { kernels, plan, buffers } = this;
    const { k: p, d } = plan;
    const beta = this.word[BETA];
    this.forEachChunk((first, count, c) => {
      kernels.directionGram(plan.g, buffers.u, p, d, first, count, beta, this.block, MOVE_BLOCK_COLUMNS, buffers.grams + c * p * p * 8);
    });
  }

  /** This device's chunks' columns moved by T = L⁻¹ (unless device 0 moved the players in order). */
  apply(): void {
    const { kernels, plan, buffers } = this;
    const { k: p, d } = plan;
    const word = this.word;
    if (word[STAGE] !== STAGE_APPLY) return;
    this.forEachChunk((first, count) => {
      kernels.triangularMove(buffers.factor, plan.g, buffers.u, plan.v, p, d, first, count, word[BETA], this.block, MOVE_BLOCK_COLUMNS);
    });
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
