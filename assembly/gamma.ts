// γ-EigenGame's direction for players on a pencil A v = λ B v (A symmetric, B symmetric positive definite): Gemp,
// Chen and McWilliams, "The Generalized Eigenvalue Problem as a Nash Equilibrium", ICLR 2023, in the form of
// google-deepmind/eigengame's eg_gradients.py. Player i's reward is ⟨vᵢ,Bvᵢ⟩Avᵢ − ⟨vᵢ,Avᵢ⟩Bvᵢ (tangent to its
// generalized Rayleigh quotient: ⟨vᵢ, reward⟩ = 0), and its penalty against each parent j < i is
// (⟨vᵢ,Avⱼ⟩/⟨vⱼ,Bvⱼ⟩)(⟨vᵢ,Bvᵢ⟩Bvⱼ − ⟨vᵢ,Bvⱼ⟩Bvᵢ), the denominator floored at 1e-6 as there. The repository keeps
// moving averages of Bvⱼ and ⟨vⱼ,Bvⱼ⟩ (its auxiliary variables) so that minibatch estimates do not bias the
// division; here Av and Bv are exact products with the dense A and B, so the auxiliaries are those products.
//
// Inner products are float64 (products of float32 values are exact there), and each direction is summed in float64
// over its terms in a fixed order, then rounded to float32 once.

import { at32, at64, dot64, row32 } from './simd';

/** The repository's floor on the parents' ⟨vⱼ, Bvⱼ⟩ (b_diag_min). */
const PARENT_FLOOR: f64 = 1e-6;

/** acc[c] += s · x[c] over d floats (acc float64). */
@inline function addScaled(acc: usize, x: usize, s: f64, d: i32): void {
  const s2 = f64x2.splat(s);
  const d4 = d & ~3;
  for (let c = 0; c < d4; c += 4) {
    const v = v128.load(x + (<usize>c << 2));
    const low = at64(acc, c), high = at64(acc, c + 2);
    v128.store(low, f64x2.add(v128.load(low), f64x2.mul(s2, f64x2.promote_low_f32x4(v))));
    v128.store(high, f64x2.add(v128.load(high), f64x2.mul(s2, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)))));
  }
  for (let c = d4; c < d; c++) store<f64>(at64(acc, c), load<f64>(at64(acc, c)) + s * <f64>load<f32>(at32(x, c)));
}

/**
 * Directions of players first .. first + count − 1 (rows of V, with AV and BV their images, rows of d) into
 * `out` (count × d): Δᵢ = ⟨vᵢ,Bvᵢ⟩Avᵢ − ⟨vᵢ,Avᵢ⟩Bvᵢ − Σ_{j<i} cᵢⱼ(⟨vᵢ,Bvᵢ⟩Bvⱼ − ⟨vᵢ,Bvⱼ⟩Bvᵢ), cᵢⱼ = ⟨vᵢ,Avⱼ⟩ /
 * max(⟨vⱼ,Bvⱼ⟩, 1e-6). `acc` is scratch for d float64 values.
 */
export function gammaDirections(v: usize, av: usize, bv: usize, d: i32, first: i32, count: i32, out: usize, acc: usize): void {
  for (let i = first; i < first + count; i++) {
    const vi = row32(v, i, d), avi = row32(av, i, d), bvi = row32(bv, i, d);
    const bii = dot64(vi, bvi, d);
    let own = dot64(vi, avi, d);
    memory.fill(acc, 0, <usize>d << 3);
    addScaled(acc, avi, bii, d);
    for (let j = 0; j < i; j++) {
      const bvj = row32(bv, j, d);
      const cij = dot64(vi, row32(av, j, d), d) / Math.max(dot64(row32(v, j, d), bvj, d), PARENT_FLOOR);
      // −cᵢⱼ⟨vᵢ,Bvᵢ⟩Bvⱼ here; +cᵢⱼ⟨vᵢ,Bvⱼ⟩Bvᵢ joins the reward's Bvᵢ term below.
      addScaled(acc, bvj, -cij * bii, d);
      own -= cij * dot64(vi, bvj, d);
    }
    addScaled(acc, bvi, -own, d);
    const outRow = row32(out, i - first, d);
    for (let c = 0; c < d; c++) store<f32>(at32(outRow, c), <f32>load<f64>(at64(acc, c)));
  }
}
