// Rows as combinations of other rows, kept in float64: out = W · src over a range of columns, W small (m × p,
// float64), src p rows of float32. pca's Ritz vectors (src/pca/solve.ts) are made with it: each element is
// Σ_j W_ij src_j[c] in float64, summed over j in order, one multiply and one add per term.

import { at32, at64, row32, row64 } from './simd';

/**
 * out[i · ldOut + c'] = Σ_{j < p} W[i · p + j] · src[j · ldSrc + first + c'] for i < m and c' < columns, in float64
 * (each term a multiply and an add, j in order).
 */
export function combineRows64(w: usize, m: i32, p: i32, src: usize, ldSrc: i32, first: i32, columns: i32, out: usize, ldOut: i32): void {
  const columns4 = columns & ~3;
  for (let i = 0; i < m; i++) {
    const outRow = row64(out, i, ldOut);
    memory.fill(outRow, 0, <usize>columns << 3);
    for (let j = 0; j < p; j++) {
      const weight = load<f64>(at64(w, i * p + j));
      const weights = f64x2.splat(weight);
      const srcRow = row32(src, j, ldSrc) + (<usize>first << 2);
      for (let c = 0; c < columns4; c += 4) {
        const x = v128.load(srcRow + (<usize>c << 2));
        const low = at64(outRow, c), high = at64(outRow, c + 2);
        v128.store(low, f64x2.add(v128.load(low), f64x2.mul(weights, f64x2.promote_low_f32x4(x))));
        v128.store(high, f64x2.add(v128.load(high), f64x2.mul(weights, f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1)))));
      }
      for (let c = columns4; c < columns; c++) store<f64>(at64(outRow, c), load<f64>(at64(outRow, c)) + weight * <f64>load<f32>(at32(srcRow, c)));
    }
  }
}
