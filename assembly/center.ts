// Centring in place: X[r, c] −= mean[c]. The host centres rows once as they are loaded into memory, so the
// step's kernels read X without a subtraction per use (it was a fifth of their arithmetic). Each element is one
// float32 subtraction, the same value whether it is taken here or inside a kernel. The same pass sums the squares
// of the centred values (pca's total variance) while they are in registers.

import { at32, row32 } from './simd';

/** Σ of the squares of the four lanes, in float64, added to `acc` (two lanes each way). */
@inline function addSquares(acc: v128, values: v128): v128 {
  const low = f64x2.promote_low_f32x4(values);
  const high = f64x2.promote_low_f32x4(i32x4.shuffle(values, values, 2, 3, 0, 1));
  return f64x2.add(f64x2.add(acc, f64x2.mul(low, low)), f64x2.mul(high, high));
}

/** X (rows × d, row-major) −= 1·meanᵀ; returns Σ of the centred values' squares (float64). */
export function subtractMean(x: usize, rows: i32, d: i32, mean: usize): f64 {
  const d4 = d & ~3;
  let squares = f64x2.splat(0);
  let tail: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const xRow = row32(x, r, d);
    for (let c = 0; c < d4; c += 4) {
      const offset = <usize>c << 2;
      const centred = f32x4.sub(v128.load(xRow + offset), v128.load(mean + offset));
      v128.store(xRow + offset, centred);
      squares = addSquares(squares, centred);
    }
    for (let c = d4; c < d; c++) {
      const centred = load<f32>(at32(xRow, c)) - load<f32>(at32(mean, c));
      store<f32>(at32(xRow, c), centred);
      tail += <f64>centred * <f64>centred;
    }
  }
  return (f64x2.extract_lane(squares, 0) + f64x2.extract_lane(squares, 1)) + tail;
}
