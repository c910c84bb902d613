// One round of μ-EigenGame played in order, with heavy-ball momentum: pca's players on an operator A (the
// covariance, the Gram matrix, or XᵀX through a pass over the data).
//
// Given G = V A (row i = A v_i), player i moves after its parents 1 .. i − 1 and against their new positions: its
// μ-EigenGame direction A v_i − Σ_{j<i} ⟨v_i, A v'_j⟩ v'_j (for symmetric A the coefficient is ⟨v'_j, A v_i⟩), taken
// with an unbounded step, i.e. the normalised direction itself. Heavy-ball momentum (De Sa, He, Mitliagkas, Ré and
// Xu, "Accelerated stochastic power iteration", AISTATS 2018) subtracts β times the player's previous position,
// kept at the scale of the current one, so that the players' span converges at about the square root of the rate
// of plain power iteration once β ≈ (λ_p / 2)². In linear-algebra terms a round is one step of accelerated
// orthogonal iteration, V' R = G − β U, with the previous positions carried along (U' = V R⁻¹), as Gram–Schmidt in
// the players' order: it needs only the rows of G, V and U, so it runs in place.
//
// Dot products and norms are float64 (products of float32 values are exact there); vectors stay float32.

import { at32, at64, dot64, row32, subtractScaled } from './simd';

/** x *= s over d floats. */
@inline function scale(x: usize, s: f32, d: i32): void {
  const s4 = f32x4.splat(s);
  const d4 = d & ~3;
  for (let c = 0; c < d4; c += 4) {
    const offset = <usize>c << 2;
    v128.store(x + offset, f32x4.mul(v128.load(x + offset), s4));
  }
  for (let c = d4; c < d; c++) store<f32>(at32(x, c), load<f32>(at32(x, c)) * s);
}

/** out[i] = ⟨v_i, g_i⟩ for p rows (float64): each player's Rayleigh quotient when its row is a unit vector. */
export function rayleighQuotients(g: usize, v: usize, p: i32, d: i32, out: usize): void {
  for (let i = 0; i < p; i++) store<f64>(at64(out, i), dot64(row32(v, i, d), row32(g, i, d), d));
}

/**
 * A Gram–Schmidt pass that leaves a row shorter than this share of its length is repeated: the row was mostly
 * along the parents, and one pass's rounding leaves it measurably off orthogonal (Daniel, Gragg, Kaufman and
 * Stewart's criterion, "twice is enough"). A converging player's direction is mostly its own: one pass, half the work.
 */
const REPEAT_BELOW = 0.7071067811865476;

/** One Gram–Schmidt pass of `deflate`. Returns ‖w‖ afterwards. */
@inline function deflatePass(w: usize, t: usize, v: usize, u: usize, i: i32, d: i32, carry: bool): f64 {
  for (let j = 0; j < i; j++) {
    const r = dot64(row32(v, j, d), w, d);
    subtractScaled(w, row32(v, j, d), r, d);
    if (carry) subtractScaled(t, row32(u, j, d), r, d);
  }
  return Math.sqrt(dot64(w, w, d));
}

/**
 * Removes from row `w` its parts along the new positions of players 0 .. i − 1 (rows of `v`), and the same
 * combination of the parents' previous positions (rows of `u`) from row `t`: once, or twice where the first pass
 * took most of `w` away (REPEAT_BELOW). Returns ‖w‖ afterwards.
 */
@inline function deflate(w: usize, t: usize, v: usize, u: usize, i: i32, d: i32, carry: bool): f64 {
  if (i == 0) return Math.sqrt(dot64(w, w, d));
  const before = Math.sqrt(dot64(w, w, d));
  const after = deflatePass(w, t, v, u, i, d, carry);
  return after < REPEAT_BELOW * before ? deflatePass(w, t, v, u, i, d, carry) : after;
}

/**
 * One round for p players: G (p × d) is overwritten, V and U (p × d, the positions and the previous positions at
 * the current scale; U all zeros on the first round) are updated in place. `scratch` holds one row of d floats.
 * A player whose direction is shorter than `floor` (the operator has no more directions: its rank is below p)
 * keeps its position, made orthogonal to its parents, and loses its momentum.
 */
export function play(g: usize, v: usize, u: usize, p: i32, d: i32, beta: f64, floor: f64, scratch: usize): void {
  const bytes = <usize>d << 2;
  for (let i = 0; i < p; i++) {
    const w = row32(g, i, d), vi = row32(v, i, d), ui = row32(u, i, d);
    subtractScaled(w, ui, beta, d);
    memory.copy(scratch, vi, bytes);
    const norm = deflate(w, scratch, v, u, i, d, true);
    if (norm > floor) {
      const inverse = <f32>(1 / norm);
      scale(w, inverse, d);
      scale(scratch, inverse, d);
      memory.copy(vi, w, bytes);
      memory.copy(ui, scratch, bytes);
      continue;
    }
    // No direction left: the old position, orthogonal to the parents, and no momentum.
    const kept = deflate(vi, scratch, v, u, i, d, false);
    if (kept > 0) scale(vi, <f32>(1 / kept), d);
    memory.fill(ui, 0, bytes);
  }
}
