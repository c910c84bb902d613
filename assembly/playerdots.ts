// The players' dots with their images over a range of columns, for pca's checks: H = V Gᵀ (every pair) on a
// Rayleigh–Ritz check, or only its diagonal, the Rayleigh quotients ⟨v_i, g_i⟩, on the other rounds. Each device
// sums its column chunks; device 0 adds the chunks' sums in chunk order (src/devices/players.ts), so the sums do
// not depend on how many devices there are.

import { dot1, dots4 } from './blockdots';
import { widenRows } from './directions';
import { at64, row64 } from './simd';

/**
 * Over columns [first, first + count) of the p rows of V and G (`stride` floats apart): `all`: out[i · p + j] =
 * Σ_c v_i[c] g_j[c] for every pair; else out[i] = Σ_c v_i[c] g_i[c]. The columns are taken `width` at a time into
 * `block` (2p × width float64: V's, then G's), each block's dots added to out in order.
 */
export function playerDots(v: usize, g: usize, p: i32, stride: i32, first: i32, count: i32, all: bool, block: usize, width: i32, out: usize): void {
  const entries = all ? p * p : p;
  for (let i = 0; i < entries; i++) store<f64>(at64(out, i), 0);
  const images = row64(block, p, width);
  const end = first + count;
  for (let start = first; start < end; start += width) {
    const columns = min(width, end - start);
    widenRows(v, p, stride, start, columns, block, width);
    widenRows(g, p, stride, start, columns, images, width);
    for (let i = 0; i < p; i++) {
      const vi = row64(block, i, width);
      if (!all) {
        dot1(vi, row64(images, i, width), columns, at64(out, i));
        continue;
      }
      let j = 0;
      for (; j + 4 <= p; j += 4) dots4(vi, row64(images, j, width), width, columns, at64(out, i * p + j));
      for (; j < p; j++) dot1(vi, row64(images, j, width), columns, at64(out, i * p + j));
    }
  }
}
