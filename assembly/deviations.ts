// A staged block of the caller's rows (float64, row-major) as the float64 scatter kernel reads it (assembly/scatter.ts):
// each value minus its column's mean, in float64, written column by column, each column `stride` values long (the
// rows rounded up to even, the extra row zero).

import { at64, row64 } from './simd';

/** out[c · stride + r] = x[r][c] − mean[c] for the `rows` rows of d values at x; out[c · stride + rows] = 0 if rows is odd. */
export function stageDeviations(x: usize, rows: i32, d: i32, mean: usize, out: usize, stride: i32): void {
  const columnBytes = <usize>stride << 3;
  let r = 0;
  // Two rows at a time: a column's two values are one f64x2 store.
  for (; r + 1 < rows; r += 2) {
    const a = row64(x, r, d);
    const b = a + (<usize>d << 3);
    let target = out + (<usize>r << 3);
    for (let c = 0; c < d; c++) {
      const m = load<f64>(at64(mean, c));
      const pair = f64x2.replace_lane(f64x2.splat(load<f64>(at64(a, c)) - m), 1, load<f64>(at64(b, c)) - m);
      v128.store(target, pair);
      target += columnBytes;
    }
  }
  if (r < rows) {
    const a = row64(x, r, d);
    let target = out + (<usize>r << 3);
    for (let c = 0; c < d; c++) {
      v128.store(target, f64x2.replace_lane(f64x2.splat(0), 0, load<f64>(at64(a, c)) - load<f64>(at64(mean, c))));
      target += columnBytes;
    }
  }
}
