// The Gram matrix of pca's players' momentum directions over a range of columns: S = W Wᵀ, W = G − β U (p × d
// rows), in float64. The players are orthonormalised by a Cholesky factor of S (src/devices/players.ts): each
// device sums S over its column chunks with this kernel, and device 0 adds the chunks' sums in chunk order, so the
// factor does not depend on how many devices there are.

import { dot1, dots4 } from './blockdots';
import { formDirections } from './directions';
import { at64, row64 } from './simd';

/**
 * out (p × p float64, row-major: its lower triangle and diagonal; the upper triangle is left alone) = Σ over
 * columns [first, first + count) of w_i[c] w_j[c], for the rows w_i = g_i − β u_i of G and U (`stride` floats
 * apart). The columns are taken `width` at a time into `block` (p × width float64); each block's dots are added
 * to out in order.
 */
export function directionGram(
  g: usize, u: usize, p: i32, stride: i32, first: i32, count: i32, beta: f64, block: usize, width: i32, out: usize,
): void {
  for (let i = 0; i < p; i++) for (let j = 0; j <= i; j++) store<f64>(at64(out, i * p + j), 0);
  const end = first + count;
  for (let start = first; start < end; start += width) {
    const columns = min(width, end - start);
    formDirections(g, u, p, stride, start, columns, beta, block, width);
    for (let i = 0; i < p; i++) {
      const wi = row64(block, i, width);
      let j = 0;
      for (; j + 3 <= i; j += 4) dots4(wi, row64(block, j, width), width, columns, at64(out, i * p + j));
      for (; j <= i; j++) dot1(wi, row64(block, j, width), columns, at64(out, i * p + j));
    }
  }
}
