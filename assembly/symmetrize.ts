// The players' operator from the covariance route's sums: syrk leaves the upper triangle of C in float64, and the
// players read the whole of C in float32, scaled so that float32 holds it whatever the data's units.

import { at32, at64 } from './simd';

/** out (m × m, float32) = factor × S, for S symmetric given by its upper triangle in `sums` (m × m, float64). */
export function symmetrize(sums: usize, m: i32, factor: f64, out: usize): void {
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      const value = <f32>(load<f64>(at64(sums, i * m + j)) * factor);
      store<f32>(at32(out, i * m + j), value);
      store<f32>(at32(out, j * m + i), value);
    }
  }
}
