// What pca needs to know about resident rows before the game: that every value is finite, the column sums (for
// the mean) and the total sum of squares (for explained-variance ratios). One pass each in SIMD instead of
// JavaScript loops over the whole matrix. Sums are float64, each column summed in row order.

import { at32, at64, row32 } from './simd';

/** Index of the first of `count` floats that is NaN or ±Infinity, or −1 if all are finite. */
export function firstNonFinite(x: usize, count: i32): i32 {
  const count4 = count & ~3;
  let i = 0;
  // v − v is 0 for finite v and NaN for NaN and ±Infinity; NaN is the only value not equal to itself.
  for (; i < count4; i += 4) {
    const values = v128.load(x + (<usize>i << 2));
    const difference = f32x4.sub(values, values);
    if (v128.any_true(f32x4.ne(difference, difference))) break;
  }
  for (; i < count; i++) {
    const value = load<f32>(at32(x, i));
    if (value - value != 0) return i;
  }
  return -1;
}

/** sums[c] += Σ_r X[r, c] (float64, rows in order) for `rows` rows of X (rows × d). */
export function columnSums(x: usize, rows: i32, d: i32, sums: usize): void {
  const d2 = d & ~1;
  for (let r = 0; r < rows; r++) {
    const xRow = row32(x, r, d);
    for (let c = 0; c < d2; c += 2) {
      const at = at64(sums, c);
      v128.store(at, f64x2.add(v128.load(at), f64x2.promote_low_f32x4(v128.load64_zero(at32(xRow, c)))));
    }
    if (d2 < d) store<f64>(at64(sums, d2), load<f64>(at64(sums, d2)) + <f64>load<f32>(at32(xRow, d2)));
  }
}

/** Σ x² over `count` floats, in float64 (two running lane sums, added at the end). */
export function sumOfSquares(x: usize, count: i32): f64 {
  const count2 = count & ~1;
  let acc = f64x2.splat(0);
  for (let i = 0; i < count2; i += 2) {
    const values = f64x2.promote_low_f32x4(v128.load64_zero(at32(x, i)));
    acc = f64x2.add(acc, f64x2.mul(values, values));
  }
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (count2 < count) {
    const value = <f64>load<f32>(at32(x, count2));
    sum += value * value;
  }
  return sum;
}
