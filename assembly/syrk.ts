// The covariance route's pass: C += Xᵀ X over one block of rows, for the tiles of C a device owns.
//
// The block arrives packed (the host writes it so as it centres the rows): its columns in groups of four, each group
// `rows` × 4 floats, row by row, columns padded to a multiple of 8 with zeros. A tile of C is 4 rows (i) × 8 columns
// (j): eight f32x4 sums in registers, and each row of the block loads the j group pair as two vectors and splats the
// four i values, all from contiguous memory whatever d is.
//
// Products are summed in float32 within the block (lane by lane, rows in order, through `madd`), and each block's
// tile sums, times the block's `weight`, are added to C in float64: C's error stays at float32's over one block of
// rows however many blocks there are, and an element's value depends only on the block boundaries, never on which
// device owns its tile. The weight undoes the power-of-two scale the host gave the block's rows (1/s², exact), so
// every block can have the scale that suits its own values and C holds the unscaled sums.

import { at64, madd } from './simd';

/** Eight float64 values at `at` += w × the eight lanes of (low, high). */
@inline function addRow(at: usize, low: v128, high: v128, w: v128): void {
  v128.store(at, f64x2.add(v128.load(at), f64x2.mul(f64x2.promote_low_f32x4(low), w)));
  v128.store(at, f64x2.add(v128.load(at, 16), f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(low, low, 2, 3, 0, 1)), w)), 16);
  v128.store(at, f64x2.add(v128.load(at, 32), f64x2.mul(f64x2.promote_low_f32x4(high), w)), 32);
  v128.store(at, f64x2.add(v128.load(at, 48), f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(high, high, 2, 3, 0, 1)), w)), 48);
}

/**
 * C (float64, row stride `ldc`) += weight × Σ over the block's `rows` rows of X[r, i] X[r, j], for the tiles with j in
 * [j0, j1) (multiples of 8) and i from 0 to the diagonal (i < j + 8, multiples of 4): the upper triangle of C's
 * columns j0 .. j1 − 1, diagonal tiles whole. `block` is packed as above.
 */
export function syrk(block: usize, rows: i32, j0: i32, j1: i32, c: usize, ldc: i32, weight: f64): void {
  const w = f64x2.splat(weight);
  const groupBytes = <usize>rows << 4;
  for (let j = j0; j < j1; j += 8) {
    const jLow = block + <usize>(j >> 2) * groupBytes;
    const jHigh = jLow + groupBytes;
    for (let i = 0; i < j + 8; i += 4) {
      const iGroup = block + <usize>(i >> 2) * groupBytes;
      let a0 = f32x4.splat(0), b0 = f32x4.splat(0), a1 = f32x4.splat(0), b1 = f32x4.splat(0);
      let a2 = f32x4.splat(0), b2 = f32x4.splat(0), a3 = f32x4.splat(0), b3 = f32x4.splat(0);
      // Three pointers stepped a row at a time, not addresses computed from the row: fewer instructions per row
      // (the loop is bound by issuing them), about 10 % faster here, the same operations in the same order.
      let lowAt = jLow, highAt = jHigh, xi = iGroup;
      const end = iGroup + groupBytes;
      while (xi < end) {
        const low = v128.load(lowAt), high = v128.load(highAt);
        let s = v128.load32_splat(xi);
        a0 = madd(s, low, a0); b0 = madd(s, high, b0);
        s = v128.load32_splat(xi, 4);
        a1 = madd(s, low, a1); b1 = madd(s, high, b1);
        s = v128.load32_splat(xi, 8);
        a2 = madd(s, low, a2); b2 = madd(s, high, b2);
        s = v128.load32_splat(xi, 12);
        a3 = madd(s, low, a3); b3 = madd(s, high, b3);
        lowAt += 16;
        highAt += 16;
        xi += 16;
      }
      addRow(at64(c, i * ldc + j), a0, b0, w);
      addRow(at64(c, (i + 1) * ldc + j), a1, b1, w);
      addRow(at64(c, (i + 2) * ldc + j), a2, b2, w);
      addRow(at64(c, (i + 3) * ldc + j), a3, b3, w);
    }
  }
}
