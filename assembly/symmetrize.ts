// The players' operator from the covariance route's sums: syrk leaves the upper triangle of C in float64, and the
// players read the whole of C in float32, scaled so that float32 holds it whatever the data's units. Each device
// writes a band of C's rows: the float32 matrix is fresh memory, and its page faults (most of the time here: 64 MiB
// at d = 4000) are then taken by every device at once.

import { at32, at64 } from './simd';

/**
 * Rows [start, end) of out (m × m, float32) = factor × S, for S symmetric given by its upper triangle in `sums`
 * (m × m, float64): each row's elements left of the diagonal from S's column, the rest from its row.
 */
export function symmetrize(sums: usize, m: i32, factor: f64, out: usize, start: i32, end: i32): void {
  for (let i = start; i < end; i++) {
    const row = out + (<usize>i * <usize>m << 2);
    for (let j = 0; j < i; j++) store<f32>(at32(row, j), <f32>(load<f64>(at64(sums, j * m + i)) * factor));
    const upper = sums + (<usize>i * <usize>m << 3);
    for (let j = i; j < m; j++) store<f32>(at32(row, j), <f32>(load<f64>(at64(upper, j)) * factor));
  }
}
