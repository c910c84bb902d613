// Dot products of float64 rows: of a block of columns (widened from float32 rows: directions.ts), added to float64
// sums, as the players' Gram matrices over column chunks (directiongram.ts, playerdots.ts) all sum them, and of
// the Cholesky factor's row prefixes (cholesky.ts): one way of summing, two lanes folded.

import { at64 } from './simd';

/**
 * Σ_c a[c] b[c] over `columns` float64 values: even columns in one lane, odd ones in the other (pairs only), folded
 * as lane 0 + lane 1, then the last column when `columns` is odd. Four dots of one row a with rows b0 .. b3 at once.
 */
@inline export function dots4(a: usize, b: usize, width: i32, columns: i32, out: usize): void {
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

/**
 * ⟨a, b⟩ over n float64 values: even values in one lane, odd ones in the other (pairs only), folded as lane 0 + lane
 * 1, then the last value when n is odd (the Cholesky factor's dots, cholesky.ts, and one row's of a block).
 */
@inline export function dotF64(a: usize, b: usize, n: i32): f64 {
  let s = f64x2.splat(0);
  const n2 = n & ~1;
  for (let c = 0; c < n2; c += 2) {
    const at = <usize>c << 3;
    s = f64x2.add(s, f64x2.mul(v128.load(a + at), v128.load(b + at)));
  }
  let sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  if (n2 < n) sum += load<f64>(at64(a, n2)) * load<f64>(at64(b, n2));
  return sum;
}

/** out += ⟨a, b⟩ over `columns` values, summed as dots4 sums each of its four. */
@inline export function dot1(a: usize, b: usize, columns: i32, out: usize): void {
  store<f64>(out, load<f64>(out) + dotF64(a, b, columns));
}
