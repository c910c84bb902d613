// Rows as combinations of other rows: out = W · src, W small (m × p, float64), src p × d float32. The
// Rayleigh–Ritz step rotates the players into the Ritz vectors with it, and the convergence check forms their
// residuals. Each output element is summed in float64 over j in order, then rounded to float32 once.

import { at32, at64, row32 } from './simd';

/** out (m × d) = W (m × p, row-major float64) · src (p × d); `acc` is scratch for d float64 values. */
export function combineRows(w: usize, m: i32, p: i32, src: usize, d: i32, out: usize, acc: usize): void {
  const d4 = d & ~3;
  for (let i = 0; i < m; i++) {
    memory.fill(acc, 0, <usize>d << 3);
    for (let j = 0; j < p; j++) {
      const weight = f64x2.splat(load<f64>(at64(w, i * p + j)));
      const scalarWeight = load<f64>(at64(w, i * p + j));
      const srcRow = row32(src, j, d);
      for (let c = 0; c < d4; c += 4) {
        const x = v128.load(srcRow + (<usize>c << 2));
        const low = at64(acc, c), high = at64(acc, c + 2);
        v128.store(low, f64x2.add(v128.load(low), f64x2.mul(weight, f64x2.promote_low_f32x4(x))));
        v128.store(high, f64x2.add(v128.load(high), f64x2.mul(weight, f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1)))));
      }
      for (let c = d4; c < d; c++) store<f64>(at64(acc, c), load<f64>(at64(acc, c)) + scalarWeight * <f64>load<f32>(at32(srcRow, c)));
    }
    const outRow = row32(out, i, d);
    for (let c = 0; c < d; c++) store<f32>(at32(outRow, c), <f32>load<f64>(at64(acc, c)));
  }
}
