// The Gram matrix of pca's players' momentum directions over a range of columns: S = W Wᵀ, W = G − β U (p × d
// rows), in float64. The players are orthonormalised by a Cholesky factor of S (src/devices/players.ts): each
// device sums S over its column chunks with this kernel, and device 0 adds the chunks' sums in chunk order, so the
// factor does not depend on how many devices there are.

import { formDirections } from './directions';
import { at64, row64 } from './simd';

/**
 * Σ_c a[c] b[c] over `columns` float64 values: even columns in one lane, odd ones in the other (pairs only), folded
 * as lane 0 + lane 1, then the last column when `columns` is odd. Four dots of one row a with rows b0 .. b3 at once.
 */
@inline function dots4(a: usize, b: usize, width: i32, columns: i32, out: usize): void {
  const b1 = b + (<usize>width << 3), b2 = b1 + (<usize>width << 3), b3 = b2 + (<usize>width << 3);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  const columns2 = columns & ~1;
  for (let c = 0; c < columns2; c += 2) {
    const at = <usize>c << 3;
    const x = v128.load(a + at);
    s0 = f64x2.add(s0, f64x2.mul(x, v128.load(b + at)));
    s1 = f64x2.add(s1, f64x2.mul(x, v128.load(b1 + at)));
    s2 = f64x2.add(s2, f64x2.mul(x, v128.load(b2 + at)));
    s3 = f64x2.add(s3, f64x2.mul(x, v128.load(b3 + at)));
  }
  let d0 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  let d1 = f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
  let d2 = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
  let d3 = f64x2.extract_lane(s3, 0) + f64x2.extract_lane(s3, 1);
  if (columns2 < columns) {
    const last = load<f64>(at64(a, columns2));
    d0 += last * load<f64>(at64(b, columns2));
    d1 += last * load<f64>(at64(b1, columns2));
    d2 += last * load<f64>(at64(b2, columns2));
    d3 += last * load<f64>(at64(b3, columns2));
  }
  store<f64>(out, load<f64>(out) + d0);
  store<f64>(out + 8, load<f64>(out + 8) + d1);
  store<f64>(out + 16, load<f64>(out + 16) + d2);
  store<f64>(out + 24, load<f64>(out + 24) + d3);
}

/** The same for one row b. */
@inline function dot1(a: usize, b: usize, columns: i32, out: usize): void {
  let s = f64x2.splat(0);
  const columns2 = columns & ~1;
  for (let c = 0; c < columns2; c += 2) {
    const at = <usize>c << 3;
    s = f64x2.add(s, f64x2.mul(v128.load(a + at), v128.load(b + at)));
  }
  let sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  if (columns2 < columns) sum += load<f64>(at64(a, columns2)) * load<f64>(at64(b, columns2));
  store<f64>(out, load<f64>(out) + sum);
}

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
