// The Cholesky factor of a symmetric positive definite matrix in float64 (B = L Lᵀ): the γ-EigenGame players'
// preconditioner and the float64 finish's solves. Left-looking, by columns, so a caller can factor a few columns
// at a time (and yield between them); every entry is one float64 dot product of two rows' prefixes (row-major:
// contiguous) and a division, in the same order whoever calls.

import { dotF64 } from './blockdots';
import { at64, row64 } from './simd';

/**
 * Factors columns j0 .. j1 − 1 of the n × n matrix at `a` (row stride `ld`, float64; its lower triangle is read
 * and overwritten by L's, the upper triangle is left alone), columns before j0 being factored already. Returns the
 * first column whose pivot (what is left of its diagonal after the columns before it) is not above `floor` times
 * its diagonal, which means the matrix is singular or too close to it to factor; −1 when every column factored.
 */
export function cholesky(a: usize, n: i32, ld: i32, j0: i32, j1: i32, floor: f64): i32 {
  for (let j = j0; j < j1; j++) {
    const rowJ = row64(a, j, ld);
    const diagonal = load<f64>(at64(rowJ, j));
    const pivot = diagonal - dotF64(rowJ, rowJ, j);
    if (!(diagonal > 0) || !(pivot > floor * diagonal)) return j;
    const root = Math.sqrt(pivot);
    store<f64>(at64(rowJ, j), root);
    for (let i = j + 1; i < n; i++) {
      const rowI = row64(a, i, ld);
      store<f64>(at64(rowI, j), (load<f64>(at64(rowI, j)) - dotF64(rowI, rowJ, j)) / root);
    }
  }
  return -1;
}
