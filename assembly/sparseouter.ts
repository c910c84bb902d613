// The sparse covariance route's pass: C += Σ over rows of x xᵀ from compressed sparse rows, for the band of C's rows
// a device owns.
//
// Each row's column indices are sorted and distinct (the host's canonical form), so for an entry at column a the
// entries after it in the row are exactly the columns b > a: the row's products fill the upper triangle of C
// (a ≤ b), each product of two float64 values added once. An element of C is summed by the one device whose band
// holds its row, over the sparse rows in order: the same bits for any number of devices.

import { at64 } from './simd';

/**
 * C (float64, row stride `ldc`) += Σ over sparse rows [first, first + count) of x_a x_b for a ≤ b, a in [a0, a1).
 * `indptr` (int32, one per row and one more), `indices` (int32, sorted within each row, distinct), `data` (float64).
 */
export function sparseOuter(
  indptr: usize, indices: usize, data: usize, first: i32, count: i32, a0: i32, a1: i32, c: usize, ldc: i32,
): void {
  for (let r = first; r < first + count; r++) {
    const start = load<i32>(indptr + (<usize>r << 2));
    const end = load<i32>(indptr + (<usize>(r + 1) << 2));
    for (let e = start; e < end; e++) {
      const a = load<i32>(indices + (<usize>e << 2));
      if (a < a0) continue;
      if (a >= a1) break;
      const x = load<f64>(at64(data, e));
      const row = c + ((<usize>a * <usize>ldc) << 3);
      for (let f = e; f < end; f++) {
        const at = row + (<usize>load<i32>(indices + (<usize>f << 2)) << 3);
        store<f64>(at, load<f64>(at) + x * load<f64>(at64(data, f)));
      }
    }
  }
}
