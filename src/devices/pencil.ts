// The γ-EigenGame players on a pencil A v = λ B v (CCA, PLS and LDA's): what the devices do in a round, and how
// device 0 judges and moves the players between rounds.
//
// Each player i holds a vector vᵢ and follows γ-EigenGame's direction Δᵢ (assembly/gamma.ts: the reward
// ⟨vᵢ,Bvᵢ⟩Avᵢ − ⟨vᵢ,Avᵢ⟩Bvᵢ minus the penalties against its parents), preconditioned by B⁻¹ (assembly/trisolve.ts,
// with B's Cholesky factor): Δ̃ᵢ = B⁻¹Δᵢ, which for players at their Ritz values is B⁻¹Avᵢ − θᵢvᵢ, the step of
// generalized power iteration. How far each player goes along its direction, and how much of its last move it
// keeps (momentum), is chosen for all players at once by a Rayleigh–Ritz step of the pencil on the span of their
// positions, directions and last moves [V; Δ̃; M] (math/pencil.ts): the locally optimal step, as LOBPCG chooses
// it (Knyazev, SIAM J. Sci. Comput. 2001). The players become that span's top Ritz vectors, B-orthonormal, and
// their new directions follow. With the preconditioner a round gains about what a power step on B⁻¹A gains, and
// the momentum about its square root, whatever B's conditioning.
//
// A round on the devices: (1) each solves B Δ̃ᵢ = Δᵢ for its share of the players; (2) each computes its rows of
// the images A Δ̃ and B Δ̃ (assembly/blocktimes.ts, every element whole by one device); (3) device 0 checks the
// residual bound, then moves the players and computes their directions (images of V and M follow by linearity, and
// are recomputed from V every REFRESH_EVERY rounds). Every sum has the same order whoever computes it, so the bits do
// not depend on the number of devices.
//
// Convergence, as ARPACK judges it: the residuals rᵢ = Avᵢ − θᵢBvᵢ of the top k Ritz pairs, in B⁻¹'s norm (that
// of the whitened problem B^{-1/2} A B^{-1/2}; ‖rᵢ‖²_{B⁻¹} = ⟨Δᵢ, Δ̃ᵢ⟩ exactly), each below tol times |θ₁| (the
// whitened operator's norm). The Davis–Kahan bound on the top-k span (‖sin Θ‖²_F ≤ Σᵢ ‖rᵢ‖²_{B⁻¹} / δ², δ the gap
// to the (k+1)-th Ritz value) is still reported. The float32 game stops at tol, once neither the largest residual
// nor the top Ritz values have improved for PATIENCE rounds (float32's floor: the host's float64 rounds take over
// from there), or after `maxSteps` rounds.

import type { KernelExports } from '../kernels/exports';
import { pencilRitz } from '../math/pencil';
import { operatorRows, part } from './partition';
import { ProgressWatch, VALUE_RESOLUTION, subspaceBound, type RoundOutcome } from './players';

/** A dense block of the float32 matrix whose products are (part of) A's or B's images: rows × columns, [start, end). */
export interface DenseTerm {
  into: 'a' | 'b';
  rows: [number, number];
  cols: [number, number];
}

/** Where a pencil game's buffers are (addresses in the kernels' memory), and what A and B are. */
export interface PencilPlan {
  /** Coordinates of each player. */
  m: number;
  /** Players. */
  p: number;
  /** The float32 matrix that the dense terms read, with row stride `ld`. */
  matrix: number;
  ld: number;
  terms: DenseTerm[];
  /** A low-rank part of A: A += Fᵀ F for the `rows` rows of F (m floats each) at `at`; `scratch` holds rows × 2p floats. */
  lowRank: { at: number; rows: number; scratch: number } | null;
  /** B's Cholesky factor (float32, L lower and Lᵀ upper, row stride `ld`) on the diagonal blocks; none: B = I. */
  factor: number;
  blocks: Array<[number, number]>;
  /** Float32, m per row: the basis [V; Δ̃; M] (3p rows), its images under A and B, the directions Δ (p), scratch (2p). */
  s: number;
  as: number;
  bs: number;
  delta: number;
  scratch: number;
  /** Float64: the Gram matrices ((3p)² each), the move's coefficients (2p × 3p), m values of scratch, p residuals. */
  gramA: number;
  gramB: number;
  coefficients: number;
  acc: number;
  residuals: number;
  /** Where the players' Ritz values go for progress reports (the engine's utilities: p float64). */
  values: number;
}

/** Bytes of the float32 and float64 buffers a pencil plan lays out after its matrices (see pencilBuffers). */
export function pencilBufferBytes(m: number, p: number): number {
  return 4 * m * 12 * p + 8 * (2 * 9 * p * p + 6 * p * p + m + p) + 64 * 16;
}

/** Lays the plan's buffers out from `at` (64-byte aligned). */
export function pencilBuffers(at: number, m: number, p: number): Pick<PencilPlan, 's' | 'as' | 'bs' | 'delta' | 'scratch' | 'gramA' | 'gramB' | 'coefficients' | 'acc' | 'residuals'> {
  let cursor = Math.ceil(at / 64) * 64;
  const take = (bytes: number) => {
    const start = cursor;
    cursor = Math.ceil((cursor + bytes) / 64) * 64;
    return start;
  };
  return {
    s: take(4 * 3 * p * m), as: take(4 * 3 * p * m), bs: take(4 * 3 * p * m), delta: take(4 * p * m), scratch: take(4 * 2 * p * m),
    gramA: take(8 * 9 * p * p), gramB: take(8 * 9 * p * p), coefficients: take(8 * 6 * p * p), acc: take(8 * m), residuals: take(8 * p),
  };
}

/** What the players' rounds ask (the 'pencil' job of schedule.ts). */
export interface PencilGoal {
  /** Pairs wanted: the top k of the p players. */
  k: number;
  /** Stop once every one of the top k pairs has a residual (B⁻¹'s norm) below tol · |θ₁|. */
  tol: number;
  /** The last round allowed. */
  maxSteps: number;
}

/**
 * Rounds without progress (no new low of the largest residual, no rise of the top Ritz values) after which a
 * precision has done what it can: float32's floor is about κ(B)·1e-7 in the whitened problem's terms.
 */
const PATIENCE = 5;
/** Images of V recomputed every this many rounds (by linearity they drift by float32 rounding each round). */
export const REFRESH_EVERY = 10;
/**
 * Basis rows whose part independent of the rows before it has a squared B-norm below this share of its own are
 * left out of a float32 round's Rayleigh–Ritz step (their Gram entries would be rounding: measured, 1e-6 let
 * spurious Ritz values in on a CCA with κ(B) ≈ 1e3, 1e-2 did not, in any test), and of a float64 one's below 1e-10.
 */
export const FLOAT32_DROP = 1e-2;
export const FLOAT64_DROP = 1e-10;

/**
 * The players' vectors and their images, in float32 kernels' memory (the devices' game) or float64 arrays (the
 * host's finish): the basis [V; Δ̃; M] of 3p rows with its images under A and B, and the directions Δ.
 */
export interface PlayerSpace {
  readonly p: number;
  /** Gram matrices of basis rows [0, rows) against their A and B images (rows × rows, float64). */
  grams(rows: number): { a: Float64Array; b: Float64Array };
  /**
   * V ← W_V · S[0, rows), and M ← W_M · S[0, rows) when `momentum`, the same for the images; `coefficients` is
   * (p or 2p) × rows, W_V's rows then W_M's.
   */
  move(coefficients: Float64Array, rows: number, momentum: boolean): void;
  /** Δ ← the players' γ-EigenGame directions, from V and its images. */
  directions(): void;
  /** ⟨Δᵢ, Δ̃ᵢ⟩ = ‖rᵢ‖²_{B⁻¹} for the first `count` players (their directions solved since). */
  residuals(count: number): Float64Array;
  /** The players' Ritz values, for progress reports. */
  report(values: Float64Array): void;
}

/** How the players judge and move between rounds: the same for the devices' float32 game and the host's float64 one. */
export class PencilPlayers {
  private values: Float64Array = new Float64Array(0);
  private remaining = Infinity;
  private residual = Infinity;
  private squares: Float64Array = new Float64Array(0);
  private readonly watch = new ProgressWatch(PATIENCE);
  private momentum = false;

  /** `resolution`: the relative noise of the arithmetic's Ritz values (float32's by default). */
  constructor(
    private readonly space: PlayerSpace, private readonly goal: PencilGoal, private readonly drop: number,
    private readonly resolution = VALUE_RESOLUTION,
  ) {}

  /** The bound on the subspace distance still to go at the last check (Infinity before the first). */
  get bound(): number {
    return this.remaining;
  }

  /** The largest residual of the top k pairs relative to |θ₁| at the last check (Infinity before the first). */
  get largestResidual(): number {
    return this.residual;
  }

  /** The top k pairs' residuals (B⁻¹'s norm, the pencil's units) at the last check. */
  get residuals(): Float64Array {
    return this.squares.map(Math.sqrt);
  }

  /**
   * Round `step` (1-based), the images of the basis being up to date: the first round rotates the players onto the
   * Ritz vectors of their span; later ones check the residuals, then move them within [V; Δ̃; M].
   */
  round(step: number): RoundOutcome {
    return this.judge(step) ?? this.move(step);
  }

  /**
   * The check of round `step` (> 1: the players' directions solved since the last move): an outcome that stops the
   * game (every residual below tol, no progress for PATIENCE rounds, or the last round allowed), or null to move on.
   */
  judge(step: number): RoundOutcome | null {
    if (step === 1) return null;
    const { p } = this.space;
    const top = Math.min(this.goal.k, p);
    this.squares = this.space.residuals(top);
    this.remaining = subspaceBound(this.squares, this.values, this.goal.k, p);
    const scale = Math.max(Math.abs(this.values[0]), Math.abs(this.values[p - 1]));
    let worst = 0;
    let valueSum = 0;
    for (let i = 0; i < top; i++) {
      worst = Math.max(worst, this.squares[i]);
      valueSum += this.values[i];
    }
    this.residual = scale > 0 ? Math.sqrt(worst) / scale : 0;
    if (this.residual <= this.goal.tol) return this.outcome(true, true, 'converged');
    if (this.watch.stuck(this.residual, valueSum, this.resolution * top * scale)) return this.outcome(false, true, 'stagnant');
    return step >= this.goal.maxSteps ? this.outcome(false, true, 'cap') : null;
  }

  /** The move of round `step`, the images of its basis computed: the players become its top Ritz vectors. */
  move(step: number): RoundOutcome {
    const { p } = this.space;
    const rows = step === 1 ? p : this.momentum ? 3 * p : 2 * p;
    const { a, b } = this.space.grams(rows);
    // A first round's players are random rows, not yet B-orthonormal: only exact dependence is left out.
    const ritz = pencilRitz(a, b, rows, p, step === 1 ? FLOAT64_DROP : this.drop);
    this.values = ritz.values;
    this.space.report(ritz.values);
    const momentum = rows > p;
    this.space.move(momentum ? withMomentum(ritz.coefficients, rows, p) : ritz.coefficients, rows, momentum);
    this.momentum = momentum;
    this.space.directions();
    const last = step >= this.goal.maxSteps;
    return this.outcome(false, last, last ? 'cap' : undefined);
  }

  private outcome(converged: boolean, stop: boolean, ending?: RoundOutcome['ending']): RoundOutcome {
    return { remaining: this.remaining, residual: this.residual, converged, stop, ending };
  }
}

/** The move's coefficients: the Ritz vectors (p × rows), then their parts outside V (the players' next momentum). */
function withMomentum(coefficients: Float64Array, rows: number, p: number): Float64Array {
  const both = new Float64Array(2 * p * rows);
  both.set(coefficients);
  for (let i = 0; i < p; i++) both.set(coefficients.subarray(i * rows + p, (i + 1) * rows), (p + i) * rows + p);
  return both;
}

/** The rows of the basis whose images a round's products compute: V alone first, then Δ̃, with V every REFRESH_EVERY rounds. */
export function productRows(step: number, p: number): { first: number; count: number } {
  if (step === 1) return { first: 0, count: p };
  return step % REFRESH_EVERY === 0 ? { first: 0, count: 2 * p } : { first: p, count: p };
}

/** One device's kernels and place among the devices. */
export interface DeviceWork {
  kernels: KernelExports;
  memory: WebAssembly.Memory;
  devices: number;
  device: number;
}

/** Phase 1 of a round: Δ̃ᵢ = B⁻¹Δᵢ for this device's share of the players (a copy where B = I). */
export function solveDirections({ kernels, memory, devices, device }: DeviceWork, plan: PencilPlan): void {
  const { m, p } = plan;
  const { start, end } = part(p, devices, device);
  if (end <= start) return;
  const target = plan.s + (p + start) * m * 4;
  new Uint8Array(memory.buffer).copyWithin(target, plan.delta + start * m * 4, plan.delta + end * m * 4);
  for (const [first, last] of plan.blocks) {
    kernels.choleskySolve(plan.factor + (first * plan.ld + first) * 4, last - first, plan.ld, target + first * 4, end - start, m);
  }
}

/** Phase 2 of a round: this device's rows of the basis rows' images (device 0 also the low-rank part, and B = I's copy). */
export function multiplyPlayers({ kernels, memory, devices, device }: DeviceWork, plan: PencilPlan, step: number): void {
  const { m, p, ld } = plan;
  const { first, count } = productRows(step, p);
  const w = plan.s + first * m * 4;
  for (const { into, rows, cols } of plan.terms) {
    const { start, end } = operatorRows(rows[1] - rows[0], devices, device);
    if (end <= start) continue;
    const out = (into === 'a' ? plan.as : plan.bs) + (first * m + rows[0] + start) * 4;
    kernels.blockTimes(plan.matrix + ((rows[0] + start) * ld + cols[0]) * 4, end - start, cols[1] - cols[0], ld, w + cols[0] * 4, count, m, out, m);
  }
  if (device !== 0) return;
  const { lowRank } = plan;
  if (lowRank) {
    kernels.project(lowRank.at, lowRank.rows, m, w, count, lowRank.scratch, count);
    kernels.backproject(lowRank.at, lowRank.rows, m, lowRank.scratch, count, count, plan.as + first * m * 4);
  }
  if (plan.blocks.length === 0) new Uint8Array(memory.buffer).copyWithin(plan.bs + first * m * 4, w, w + count * m * 4);
}

/** The players' space in the kernels' memory (float32 vectors, float64 inner products): device 0's. */
export class KernelPlayerSpace implements PlayerSpace {
  constructor(private readonly kernels: KernelExports, private readonly memory: WebAssembly.Memory, private readonly plan: PencilPlan) {}

  get p(): number {
    return this.plan.p;
  }

  grams(rows: number): { a: Float64Array; b: Float64Array } {
    const { kernels, plan } = this;
    kernels.crossDots(plan.s, rows, plan.as, rows, plan.m, plan.gramA);
    kernels.crossDots(plan.s, rows, plan.bs, rows, plan.m, plan.gramB);
    return { a: symmetric(this.f64(plan.gramA, rows * rows), rows), b: symmetric(this.f64(plan.gramB, rows * rows), rows) };
  }

  move(coefficients: Float64Array, rows: number, momentum: boolean): void {
    const { kernels, plan } = this;
    const { m, p } = plan;
    const out = momentum ? 2 * p : p;
    this.f64(plan.coefficients, out * rows).set(coefficients);
    const bytes = new Uint8Array(this.memory.buffer);
    for (const basis of [plan.s, plan.as, plan.bs]) {
      kernels.combineRows(plan.coefficients, out, rows, basis, m, plan.scratch, plan.acc);
      bytes.copyWithin(basis, plan.scratch, plan.scratch + p * m * 4);
      if (momentum) bytes.copyWithin(basis + 2 * p * m * 4, plan.scratch + p * m * 4, plan.scratch + 2 * p * m * 4);
    }
  }

  directions(): void {
    const { kernels, plan } = this;
    kernels.gammaDirections(plan.s, plan.as, plan.bs, plan.m, 0, plan.p, plan.delta, plan.acc);
  }

  residuals(count: number): Float64Array {
    const { kernels, plan } = this;
    kernels.rayleighQuotients(plan.delta, plan.s + plan.p * plan.m * 4, count, plan.m, plan.residuals);
    return this.f64(plan.residuals, count).slice();
  }

  report(values: Float64Array): void {
    this.f64(this.plan.values, values.length).set(values);
  }

  private f64(at: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, at, length);
  }
}

/** A copy of an n × n matrix made symmetric (the mean of it and its transpose). */
export function symmetric(matrix: ArrayLike<number>, n: number): Float64Array {
  const out = Float64Array.from(matrix);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) out[i * n + j] = out[j * n + i] = (out[i * n + j] + out[j * n + i]) / 2;
  }
  return out;
}
