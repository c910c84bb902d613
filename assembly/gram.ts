// The Gram matrix of the projections, M = Pᵀ P: M[i, j] = ⟨X v_i, X v_j⟩ over the rows of a block.
//
// Accumulated in float64. A product of two float32 values is exact in float64, so the only rounding is in the
// sums, taken in row order on every path (groups of four rows, remainder rows, pairs of columns, a last single
// column): each M[i, j] is one running sum, so the bits do not depend on how the rows or columns were grouped.

import { at32, at64, row32 } from './simd';

/** p[row, j] and p[row, j + 1] as two float64 lanes. */
@inline function pair(pRow: usize, j: i32): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(at32(pRow, j)));
}

/** M (k × k, float64, overwritten, symmetric) = Pᵀ P for `rows` rows of P (row stride `ldp`). */
export function gram(p: usize, rows: i32, ldp: i32, k: i32, m: usize): void {
  memory.fill(m, 0, (<usize>k * <usize>k) << 3);
  let r = 0;
  // Four rows at a time: each M[i, j] is loaded and stored once per four products.
  for (; r + 4 <= rows; r += 4) {
    const p0 = row32(p, r, ldp), p1 = row32(p, r + 1, ldp), p2 = row32(p, r + 2, ldp), p3 = row32(p, r + 3, ldp);
    for (let i = 0; i < k; i++) {
      const a0 = <f64>load<f32>(at32(p0, i)), a1 = <f64>load<f32>(at32(p1, i));
      const a2 = <f64>load<f32>(at32(p2, i)), a3 = <f64>load<f32>(at32(p3, i));
      const mRow = at64(m, i * k);
      let j = 0;
      for (; j + 1 <= i; j += 2) {
        const mAt = at64(mRow, j);
        let acc = v128.load(mAt);
        acc = f64x2.add(acc, f64x2.mul(f64x2.splat(a0), pair(p0, j)));
        acc = f64x2.add(acc, f64x2.mul(f64x2.splat(a1), pair(p1, j)));
        acc = f64x2.add(acc, f64x2.mul(f64x2.splat(a2), pair(p2, j)));
        acc = f64x2.add(acc, f64x2.mul(f64x2.splat(a3), pair(p3, j)));
        v128.store(mAt, acc);
      }
      if (j == i) {
        const mAt = at64(mRow, j);
        let acc = load<f64>(mAt);
        acc += a0 * <f64>load<f32>(at32(p0, j));
        acc += a1 * <f64>load<f32>(at32(p1, j));
        acc += a2 * <f64>load<f32>(at32(p2, j));
        acc += a3 * <f64>load<f32>(at32(p3, j));
        store<f64>(mAt, acc);
      }
    }
  }
  for (; r < rows; r++) {
    const pRow = row32(p, r, ldp);
    for (let i = 0; i < k; i++) {
      const a = <f64>load<f32>(at32(pRow, i));
      const mRow = at64(m, i * k);
      let j = 0;
      for (; j + 1 <= i; j += 2) {
        const mAt = at64(mRow, j);
        v128.store(mAt, f64x2.add(v128.load(mAt), f64x2.mul(f64x2.splat(a), pair(pRow, j))));
      }
      if (j == i) {
        const mAt = at64(mRow, j);
        store<f64>(mAt, load<f64>(mAt) + a * <f64>load<f32>(at32(pRow, j)));
      }
    }
  }
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < i; j++) store<f64>(at64(m, j * k + i), load<f64>(at64(m, i * k + j)));
  }
}
