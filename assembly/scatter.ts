// The pencils' pass in float64 (cca, pls, lda, whose B is inverted: float32's ~1e-7 would come back multiplied by
// κ(B)): C (upper triangle, rows [first, end)) += Σ_r x_r x_rᵀ over a block of deviations, float64 products summed
// in float64.
//
// The block arrives as columns (assembly/deviations.ts): column j's `stride` values contiguous, stride even, the
// values past the block's rows zero. One f64x2 load takes two consecutive rows of a column, so each element of C is
// summed in two lanes: even rows in lane 0, odd rows in lane 1, each in row order, then lane 0 + lane 1 is added to
// C. That is the whole order: it does not depend on the tile, the panel or the band an element falls in, so any
// split of C's rows between devices gives the same bits (and a padded zero row adds +0 to lane 1, which changes
// nothing). No fused multiply-add, in any build: a multiply and an add, as the TypeScript reference does.
//
// Tiles are 2 rows (i) × 4 columns (j) of C: eight f64x2 sums in registers, six loads per eight products. Columns
// of C go in panels of PANEL, every row pair of the band sweeping one panel before the next, so that the panel's
// columns (PANEL × stride × 8 bytes: 128 KiB for 256 rows) stay in the core's cache while the row pairs stream by.

import { at64 } from './simd';

/** Columns of C per panel. */
const PANEL: i32 = 64;

/** C[at] += lane 0 + lane 1 of `sum`. */
@inline function addLanes(at: usize, sum: v128): void {
  store<f64>(at, load<f64>(at) + (f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1)));
}

/** Σ over the block of a[r] b[r], even rows and odd rows in two lanes. */
@inline function dot(a: usize, b: usize, bytes: usize): v128 {
  let sum = f64x2.splat(0);
  for (let r: usize = 0; r < bytes; r += 16) sum = f64x2.add(sum, f64x2.mul(v128.load(a + r), v128.load(b + r)));
  return sum;
}

/**
 * C (float64, row stride `ldc`) += the scatter of the block at `columns` (d columns of `stride` values, stride even)
 * for the elements (i, j) with first ≤ i < end and max(i, from) ≤ j < d (from > i: a block off the diagonal only).
 */
export function scatter(columns: usize, stride: i32, d: i32, first: i32, end: i32, from: i32, c: usize, ldc: i32): void {
  const columnBytes = <usize>stride << 3;
  const bytes = columnBytes;
  for (let panel = max(first, from); panel < d; panel += PANEL) {
    const panelEnd = min(d, panel + PANEL);
    const rowsEnd = min(end, panelEnd);
    let i = first;
    for (; i + 1 < rowsEnd; i += 2) {
      const xi = columns + <usize>i * columnBytes;
      const xn = xi + columnBytes;
      const ci = at64(c, i * ldc);
      const cn = at64(c, (i + 1) * ldc);
      let j = max(i, panel);
      for (; j + 4 <= panelEnd; j += 4) {
        const u0 = columns + <usize>j * columnBytes;
        const u1 = u0 + columnBytes;
        const u2 = u1 + columnBytes;
        const u3 = u2 + columnBytes;
        let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
        let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
        for (let r: usize = 0; r < bytes; r += 16) {
          const x = v128.load(xi + r);
          const y = v128.load(xn + r);
          let u = v128.load(u0 + r);
          a0 = f64x2.add(a0, f64x2.mul(x, u));
          b0 = f64x2.add(b0, f64x2.mul(y, u));
          u = v128.load(u1 + r);
          a1 = f64x2.add(a1, f64x2.mul(x, u));
          b1 = f64x2.add(b1, f64x2.mul(y, u));
          u = v128.load(u2 + r);
          a2 = f64x2.add(a2, f64x2.mul(x, u));
          b2 = f64x2.add(b2, f64x2.mul(y, u));
          u = v128.load(u3 + r);
          a3 = f64x2.add(a3, f64x2.mul(x, u));
          b3 = f64x2.add(b3, f64x2.mul(y, u));
        }
        addLanes(at64(ci, j), a0);
        addLanes(at64(ci, j + 1), a1);
        addLanes(at64(ci, j + 2), a2);
        addLanes(at64(ci, j + 3), a3);
        // (i + 1, i) is below the diagonal: only the upper triangle is summed.
        if (j > i) addLanes(at64(cn, j), b0);
        addLanes(at64(cn, j + 1), b1);
        addLanes(at64(cn, j + 2), b2);
        addLanes(at64(cn, j + 3), b3);
      }
      for (; j < panelEnd; j++) {
        const u = columns + <usize>j * columnBytes;
        addLanes(at64(ci, j), dot(xi, u, bytes));
        if (j > i) addLanes(at64(cn, j), dot(xn, u, bytes));
      }
    }
    if (i < rowsEnd) {
      const xi = columns + <usize>i * columnBytes;
      const ci = at64(c, i * ldc);
      for (let j = max(i, panel); j < panelEnd; j++) addLanes(at64(ci, j), dot(xi, columns + <usize>j * columnBytes, bytes));
    }
  }
}
