// What pca needs to know about resident rows before the game: the column sums (for the mean; a sum that is not
// finite means a value that is not, which firstNonFinite then finds). One SIMD pass instead of JavaScript loops
// over the whole matrix. Sums are float64, each column summed in row order. (The total sum of squares comes from
// the centring pass, center.ts.)

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
