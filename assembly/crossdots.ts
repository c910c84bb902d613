// Inner products between two sets of rows, in float64: H = A Bᵀ. pca's convergence checks and its final
// Rayleigh–Ritz step use it with A = V (the players) and B = G = V C (their images), giving H = V C Vᵀ.

import { at64, dot64, row32 } from './simd';

/** out[i · n + j] = ⟨a_i, b_j⟩ for m rows of A and n rows of B (all d floats long), float64. */
export function crossDots(a: usize, m: i32, b: usize, n: i32, d: i32, out: usize): void {
  for (let i = 0; i < m; i++) {
    const aRow = row32(a, i, d);
    for (let j = 0; j < n; j++) store<f64>(at64(out, i * n + j), dot64(aRow, row32(b, j, d), d));
  }
}
