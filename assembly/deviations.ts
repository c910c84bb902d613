// A staged block of the caller's rows (float64, row-major) as the float64 scatter kernel reads it (assembly/scatter.ts):
// each value minus its column's mean, in float64, written column by column, each column `stride` values long (the
// rows rounded up to even, the extra row zero).
//
// Columns go in groups of GROUP: a group's columns are written as GROUP sequential streams, two rows at a time,
// where writing all d columns for each pair of rows would touch d pages per pair (at d = 4000 the whole block's
// TLB misses cost more than the transposition).

import { at64, row64 } from './simd';

/** Columns written together. */
const GROUP: i32 = 32;

/** out[c · stride + r] = x[r][c] − mean[c] for the `rows` rows of d values at x; out[c · stride + rows] = 0 if rows is odd. */
export function stageDeviations(x: usize, rows: i32, d: i32, mean: usize, out: usize, stride: i32): void {
  const columnBytes = <usize>stride << 3;
  const rowBytes = <usize>d << 3;
  for (let group = 0; group < d; group += GROUP) {
    const groupEnd = min(d, group + GROUP);
    let r = 0;
    // Two rows at a time: a column's two values are one f64x2 store.
    for (; r + 1 < rows; r += 2) {
      const a = row64(x, r, d);
      const b = a + rowBytes;
      let target = out + <usize>group * columnBytes + (<usize>r << 3);
      for (let c = group; c < groupEnd; c++) {
        const m = load<f64>(at64(mean, c));
        v128.store(target, f64x2.replace_lane(f64x2.splat(load<f64>(at64(a, c)) - m), 1, load<f64>(at64(b, c)) - m));
        target += columnBytes;
      }
    }
    if (r < rows) {
      const a = row64(x, r, d);
      let target = out + <usize>group * columnBytes + (<usize>r << 3);
      for (let c = group; c < groupEnd; c++) {
        v128.store(target, f64x2.replace_lane(f64x2.splat(0), 0, load<f64>(at64(a, c)) - load<f64>(at64(mean, c))));
        target += columnBytes;
      }
    }
  }
}
