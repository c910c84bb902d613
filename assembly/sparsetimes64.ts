// The sparse Gram route's components in float64: columns of a compressed sparse matrix (float32 values, widened
// exactly) times a dense float64 matrix whose rows are `width` wide (the Ritz vectors, transposed), each stored
// entry one axpy of a dense row (f64x2 over the vectors, 8 of them at a time).
// Every lane sums its entries in stored order from zero, a multiply then an add: the bits of the plain loop.

import { at64 } from './simd';

/**
 * out[m − first, :] = Σ_{e in major m} data[e] · B[indices[e], :] for majors [first, first + count) of the sparse
 * matrix (`indptr`, `indices` int32; `data` float32). B (float64) has `width` values per row, `ld` apart; out
 * (float64) `width` per row, packed.
 */
export function sparseTimes64(
  indptr: usize, indices: usize, data: usize, first: i32, count: i32, b: usize, width: i32, ld: i32, out: usize,
): void {
  const w2 = width & ~1;
  const stride = <usize>ld << 3;
  for (let m = 0; m < count; m++) {
    const target = out + ((<usize>m * <usize>width) << 3);
    const start = load<i32>(indptr + (<usize>(first + m) << 2));
    const end = load<i32>(indptr + (<usize>(first + m + 1) << 2));
    let j = 0;
    for (; j + 8 <= w2; j += 8) {
      const lanes = <usize>j << 3;
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
      for (let e = start; e < end; e++) {
        const value = f64x2.splat(<f64>load<f32>(data + (<usize>e << 2)));
        const source = b + <usize>load<i32>(indices + (<usize>e << 2)) * stride + lanes;
        s0 = f64x2.add(f64x2.mul(value, v128.load(source)), s0);
        s1 = f64x2.add(f64x2.mul(value, v128.load(source, 16)), s1);
        s2 = f64x2.add(f64x2.mul(value, v128.load(source, 32)), s2);
        s3 = f64x2.add(f64x2.mul(value, v128.load(source, 48)), s3);
      }
      v128.store(target + lanes, s0); v128.store(target + lanes, s1, 16); v128.store(target + lanes, s2, 32); v128.store(target + lanes, s3, 48);
    }
    for (; j < w2; j += 2) {
      const lanes = <usize>j << 3;
      let s0 = f64x2.splat(0);
      for (let e = start; e < end; e++) {
        const value = f64x2.splat(<f64>load<f32>(data + (<usize>e << 2)));
        s0 = f64x2.add(f64x2.mul(value, v128.load(b + <usize>load<i32>(indices + (<usize>e << 2)) * stride + lanes)), s0);
      }
      v128.store(target + lanes, s0);
    }
    for (; j < width; j++) {
      let sum: f64 = 0;
      for (let e = start; e < end; e++) {
        sum = <f64>load<f32>(data + (<usize>e << 2)) * load<f64>(at64(b + <usize>load<i32>(indices + (<usize>e << 2)) * stride, j)) + sum;
      }
      store<f64>(at64(target, j), sum);
    }
  }
}
