// Each player's ascent direction from the data term G (row i = Xᵀ X v_i) and the Gram matrix M:
//   μ-EigenGame: Δ_i = G_i − Σ_{j<i} M_ij v_j
//   α-EigenGame: Δ_i = G_i − Σ_{j<i} (M_ij / M_jj) G_j       (the constant factor 2 of the gradient is dropped,
//                                                             as the seed drops it for μ; the step size absorbs it)
//   Riemannian projection (optional): Δ_i ← Δ_i − ⟨Δ_i, v_i⟩ v_i, the component tangent to the unit sphere.
// Subtractions run over j in increasing order; the tail columns repeat the lanes' arithmetic one by one.

import { at32, at64, row32 } from './simd';

/** G_i minus Σ_{j<i} coefficient_j · basis_j, for one player i, into `outRow`. */
@inline function subtractEarlier(
  gRow: usize, basis: usize, m: usize, k: i32, d: i32, i: i32, alpha: bool, outRow: usize,
): void {
  const d4 = d & ~3;
  for (let c = 0; c < d4; c += 4) {
    const offset = <usize>c << 2;
    let acc = v128.load(gRow + offset);
    for (let j = 0; j < i; j++) {
      acc = f32x4.sub(acc, f32x4.mul(f32x4.splat(coefficient(m, k, i, j, alpha)), v128.load(row32(basis, j, d) + offset)));
    }
    v128.store(outRow + offset, acc);
  }
  for (let c = d4; c < d; c++) {
    let acc = load<f32>(at32(gRow, c));
    for (let j = 0; j < i; j++) acc -= coefficient(m, k, i, j, alpha) * load<f32>(at32(row32(basis, j, d), c));
    store<f32>(at32(outRow, c), acc);
  }
}

/** M_ij for μ, M_ij / M_jj for α (0 where player j's projection is all zero), rounded to float32. */
@inline function coefficient(m: usize, k: i32, i: i32, j: i32, alpha: bool): f32 {
  const mij = load<f64>(at64(m, i * k + j));
  if (!alpha) return <f32>mij;
  const mjj = load<f64>(at64(m, j * k + j));
  return mjj == 0 ? 0 : <f32>(mij / mjj);
}

/** Δ_i ← Δ_i − ⟨Δ_i, v_i⟩ v_i (the dot product in float64). */
@inline function projectOntoTangent(outRow: usize, vRow: usize, d: i32): void {
  let dot = 0.0;
  for (let c = 0; c < d; c++) dot += <f64>load<f32>(at32(outRow, c)) * <f64>load<f32>(at32(vRow, c));
  const along = <f32>dot;
  const d4 = d & ~3;
  const along4 = f32x4.splat(along);
  for (let c = 0; c < d4; c += 4) {
    const offset = <usize>c << 2;
    v128.store(outRow + offset, f32x4.sub(v128.load(outRow + offset), f32x4.mul(along4, v128.load(vRow + offset))));
  }
  for (let c = d4; c < d; c++) store<f32>(at32(outRow, c), load<f32>(at32(outRow, c)) - along * load<f32>(at32(vRow, c)));
}

/**
 * Directions for players first .. first+count−1. `g` and `v` are the whole k × d matrices, `m` the k × k Gram
 * matrix; `out` receives `count` rows. Players are processed from the last to the first, so `out` may be the
 * same memory as those players' rows of `g` (α only reads rows of G that come before the one it writes).
 */
export function direction(
  g: usize, m: usize, v: usize, k: i32, d: i32, first: i32, count: i32, alpha: bool, riemannian: bool, out: usize,
): void {
  for (let i = first + count - 1; i >= first; i--) {
    const outRow = row32(out, i - first, d);
    subtractEarlier(row32(g, i, d), alpha ? g : v, m, k, d, i, alpha, outRow);
    if (riemannian) projectOntoTangent(outRow, row32(v, i, d), d);
  }
}
