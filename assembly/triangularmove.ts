// pca's players' move over a range of columns, once the Cholesky factor L of their directions' Gram matrix
// S = W Wᵀ is known (directiongram.ts, src/devices/players.ts): the new positions V' = L⁻¹ W (orthonormal rows:
// Gram–Schmidt of W in the players' order) and the previous positions carried at their scale, U' = L⁻¹ V. Each
// column is computed from its own column of G, U and V only, so devices can take any columns: the bits are the same.

import { formDirections, widenRows } from './directions';
import { at32, at64, row32, row64 } from './simd';

/** T_ij, or 0 above the diagonal (T's upper triangle is not read). */
@inline function weight(t: usize, p: i32, i: i32, j: i32): f64 {
  return j <= i ? load<f64>(at64(t, i * p + j)) : 0;
}

/**
 * Rows i0 .. i0 + rows − 1 (rows ≤ 4) of `out` (float32, `stride` apart, from column `start`) = Σ_{j ≤ i} T_ij src_j
 * over `columns` columns of the float64 rows of `src` (`width` apart): each element summed in float64 over j in
 * order (a multiply and an add), then rounded to float32 once. Four rows × four columns at a time.
 */
@inline function combineLower(
  t: usize, p: i32, i0: i32, rows: i32, src: usize, width: i32, columns: i32, out: usize, stride: i32, start: i32,
): void {
  const last = i0 + rows - 1;
  const columns4 = columns & ~3;
  const offset = <usize>start << 2;
  // The block's four rows of T; past `last` (the players' last block) the last row again, so that no weight is read
  // beyond T: those sums are never stored.
  const i1 = min(i0 + 1, last), i2 = min(i0 + 2, last), i3 = min(i0 + 3, last);
  const t0 = row64(t, i0, p), t1 = row64(t, i1, p), t2 = row64(t, i2, p), t3 = row64(t, i3, p);
  for (let c = 0; c < columns4; c += 4) {
    let a0 = f64x2.splat(0), b0 = f64x2.splat(0), a1 = f64x2.splat(0), b1 = f64x2.splat(0);
    let a2 = f64x2.splat(0), b2 = f64x2.splat(0), a3 = f64x2.splat(0), b3 = f64x2.splat(0);
    // j ≤ i0: every row's weight lies on or below the diagonal, read without a test; then the few j above i0.
    for (let j = 0; j <= i0; j++) {
      const x = row64(src, j, width) + (<usize>c << 3);
      const low = v128.load(x), high = v128.load(x + 16);
      const at = <usize>j << 3;
      const w0 = f64x2.splat(load<f64>(t0 + at)), w1 = f64x2.splat(load<f64>(t1 + at));
      const w2 = f64x2.splat(load<f64>(t2 + at)), w3 = f64x2.splat(load<f64>(t3 + at));
      a0 = f64x2.add(a0, f64x2.mul(w0, low));
      b0 = f64x2.add(b0, f64x2.mul(w0, high));
      a1 = f64x2.add(a1, f64x2.mul(w1, low));
      b1 = f64x2.add(b1, f64x2.mul(w1, high));
      a2 = f64x2.add(a2, f64x2.mul(w2, low));
      b2 = f64x2.add(b2, f64x2.mul(w2, high));
      a3 = f64x2.add(a3, f64x2.mul(w3, low));
      b3 = f64x2.add(b3, f64x2.mul(w3, high));
    }
    for (let j = i0 + 1; j <= last; j++) {
      const x = row64(src, j, width) + (<usize>c << 3);
      const low = v128.load(x), high = v128.load(x + 16);
      const w0 = f64x2.splat(weight(t, p, i0, j)), w1 = f64x2.splat(weight(t, p, i1, j));
      const w2 = f64x2.splat(weight(t, p, i2, j)), w3 = f64x2.splat(weight(t, p, i3, j));
      a0 = f64x2.add(a0, f64x2.mul(w0, low));
      b0 = f64x2.add(b0, f64x2.mul(w0, high));
      a1 = f64x2.add(a1, f64x2.mul(w1, low));
      b1 = f64x2.add(b1, f64x2.mul(w1, high));
      a2 = f64x2.add(a2, f64x2.mul(w2, low));
      b2 = f64x2.add(b2, f64x2.mul(w2, high));
      a3 = f64x2.add(a3, f64x2.mul(w3, low));
      b3 = f64x2.add(b3, f64x2.mul(w3, high));
    }
    const at = <usize>c << 2;
    v128.store(row32(out, i0, stride) + offset + at, i32x4.shuffle(f32x4.demote_f64x2_zero(a0), f32x4.demote_f64x2_zero(b0), 0, 1, 4, 5));
    if (rows > 1) v128.store(row32(out, i0 + 1, stride) + offset + at, i32x4.shuffle(f32x4.demote_f64x2_zero(a1), f32x4.demote_f64x2_zero(b1), 0, 1, 4, 5));
    if (rows > 2) v128.store(row32(out, i0 + 2, stride) + offset + at, i32x4.shuffle(f32x4.demote_f64x2_zero(a2), f32x4.demote_f64x2_zero(b2), 0, 1, 4, 5));
    if (rows > 3) v128.store(row32(out, i0 + 3, stride) + offset + at, i32x4.shuffle(f32x4.demote_f64x2_zero(a3), f32x4.demote_f64x2_zero(b3), 0, 1, 4, 5));
  }
  for (let c = columns4; c < columns; c++) {
    for (let i = i0; i <= last; i++) {
      let sum = 0.0;
      for (let j = 0; j <= i; j++) sum += load<f64>(at64(t, i * p + j)) * load<f64>(at64(row64(src, j, width), c));
      store<f32>(at32(row32(out, i, stride) + offset, c), <f32>sum);
    }
  }
}

/**
 * Over columns [first, first + count) of the p rows of G, U and V (`stride` floats apart): V ← T (G − β U) and
 * U ← T V, T (p × p float64, row-major) lower triangular (L⁻¹; its upper triangle is not read). Each element is
 * summed in float64 over j = 0 .. i in order, then rounded to float32 once. The columns are taken `width` at a
 * time: `block` holds 2p × width float64 (the directions, then the old positions).
 */
export function triangularMove(
  t: usize, g: usize, u: usize, v: usize, p: i32, stride: i32, first: i32, count: i32, beta: f64, block: usize, width: i32,
): void {
  const end = first + count;
  const old = row64(block, p, width);
  for (let start = first; start < end; start += width) {
    const columns = min(width, end - start);
    formDirections(g, u, p, stride, start, columns, beta, block, width);
    widenRows(v, p, stride, start, columns, old, width);
    for (let i0 = 0; i0 < p; i0 += 4) {
      const rows = min(4, p - i0);
      combineLower(t, p, i0, rows, block, width, columns, v, stride, start);
      combineLower(t, p, i0, rows, old, width, columns, u, stride, start);
    }
  }
}
