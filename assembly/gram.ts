// The Gram matrix of the projections, M = Pᵀ P: M[i, j] = ⟨X v_i, X v_j⟩ over the rows of a block.
//
// Accumulated in float64. A product of two float32 values is exact in float64, so the only rounding is in the
// sums, taken in row order. Utilities and the Rayleigh–Ritz step divide by and subtract these values, where
// float32 sums would lose digits.

import { at32, at64, row32 } from './simd';

/** M (k × k, float64, overwritten, symmetric) = Pᵀ P for `rows` rows of P (row stride `ldp`). */
export function gram(p: usize, rows: i32, ldp: i32, k: i32, m: usize): void {
  memory.fill(m, 0, (<usize>k * <usize>k) << 3);
  for (let r = 0; r < rows; r++) {
    const pRow = row32(p, r, ldp);
    for (let i = 0; i < k; i++) {
      const pi = <f64>load<f32>(at32(pRow, i));
      const mRow = at64(m, i * k);
      for (let j = 0; j <= i; j++) {
        const mAt = at64(mRow, j);
        store<f64>(mAt, load<f64>(mAt) + pi * <f64>load<f32>(at32(pRow, j)));
      }
    }
  }
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < i; j++) store<f64>(at64(m, j * k + i), load<f64>(at64(m, i * k + j)));
  }
}
