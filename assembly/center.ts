// Centring in place: X[r, c] −= mean[c]. The host centres rows once as they are loaded into memory, so the
// step's kernels read X without a subtraction per use (it was a fifth of their arithmetic). Each element is one
// float32 subtraction, the same value whether it is taken here or inside a kernel.

import { at32, row32 } from './simd';

/** X (rows × d, row-major) −= 1·meanᵀ. */
export function subtractMean(x: usize, rows: i32, d: i32, mean: usize): void {
  const d4 = d & ~3;
  for (let r = 0; r < rows; r++) {
    const xRow = row32(x, r, d);
    for (let c = 0; c < d4; c += 4) {
      const offset = <usize>c << 2;
      v128.store(xRow + offset, f32x4.sub(v128.load(xRow + offset), v128.load(mean + offset)));
    }
    for (let c = d4; c < d; c++) store<f32>(at32(xRow, c), load<f32>(at32(xRow, c)) - load<f32>(at32(mean, c)));
  }
}
