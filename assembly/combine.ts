// Rows as combinations of other rows, rounded to float32: out = W · src, W small (m × p, float64), src p × d
// float32. The pencils' players (src/devices/pencil.ts) move their bases with it. Each output element is summed in
// float64 over j in order (combine64.ts), then rounded to float32 once.

import { combineRows64 } from './combine64';
import { at32, at64, row32 } from './simd';

/** out (m × d) = W (m × p, row-major float64) · src (p × d); `acc` is scratch for d float64 values. */
export function combineRows(w: usize, m: i32, p: i32, src: usize, d: i32, out: usize, acc: usize): void {
  for (let i = 0; i < m; i++) {
    combineRows64(w + ((<usize>i * <usize>p) << 3), 1, p, src, d, 0, d, acc, d);
    const outRow = row32(out, i, d);
    for (let c = 0; c < d; c++) store<f32>(at32(outRow, c), <f32>load<f64>(at64(acc, c)));
  }
}
