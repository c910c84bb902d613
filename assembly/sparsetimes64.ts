// The sparse Gram route's components in float64: columns of a compressed sparse matrix (float32 values, widened
// exactly) times a dense float64 matrix whose rows are `width` wide (the Ritz vectors, transposed), each stored
// entry one axpy of a dense row (f64x2 over the vectors, up to 16 of them a pass).
// Every lane sums its entries in stored order from zero, a multiply then an add: the bits of the plain loop.

import { at64, storeGroups } from './simd';

/**
 * out[m − first, :] = Σ_{e in major m} data[e] · B[indices[e], :] for majors [first, first + count) of the sparse
 * matrix (`indptr`, `indices` int32; `data` float32). B (float64) has `width` values per row, `ld` apart; out
 * (float64) `width` per row, packed.
 */
export function sparseTimes64(
  indptr: usize, indices: usize, data: usize, first: i32, count: i32, b: usize, width: i32, ld: i32, out: usize,
): void {
  const chains = width >> 1;
  const passes = (chains + MOST_CHAINS - 1) / MOST_CHAINS;
  const stride = <usize>ld << 3;
  for (let m = 0; m < count; m++) {
    const target = out + ((<usize>m * <usize>width) << 3);
    const start = load<i32>(indptr + (<usize>(first + m) << 2));
    const end = load<i32>(indptr + (<usize>(first + m + 1) << 2));
    // The lanes' f64x2 groups in passes as even as can be (50 vectors: 7, 6, 6 and 6 groups), as sparsetimes.ts.
    for (let pass = 0, done = 0; pass < passes; pass++) {
      const groups = (chains - done + (passes - pass) - 1) / (passes - pass);
      const offset = <usize>done << 4;
      switch (groups) {
        case 1: lanes(1, indices, data, start, end, b + offset, stride, target + offset); break;
        case 2: lanes(2, indices, data, start, end, b + offset, stride, target + offset); break;
        case 3: lanes(3, indices, data, start, end, b + offset, stride, target + offset); break;
        case 4: lanes(4, indices, data, start, end, b + offset, stride, target + offset); break;
        case 5: lanes(5, indices, data, start, end, b + offset, stride, target + offset); break;
        case 6: lanes(6, indices, data, start, end, b + offset, stride, target + offset); break;
        case 7: lanes(7, indices, data, start, end, b + offset, stride, target + offset); break;
        default: lanes(8, indices, data, start, end, b + offset, stride, target + offset); break;
      }
      done += groups;
    }
    for (let j = chains << 1; j < width; j++) {
      let sum: f64 = 0;
      for (let e = start; e < end; e++) {
        sum = <f64>load<f32>(data + (<usize>e << 2)) * load<f64>(at64(b + <usize>load<i32>(indices + (<usize>e << 2)) * stride, j)) + sum;
      }
      store<f64>(at64(target, j), sum);
    }
  }
}

/** f64x2 groups of lanes per pass over a major's entries, each an independent chain of adds (sparsetimes.ts). */
const MOST_CHAINS = 8;

/**
 * `groups` (a constant at each call: the code of the groups not taken is folded away) f64x2 groups of one output
 * row (b and target point at the pass's first lane).
 */
@inline function lanes(groups: i32, indices: usize, data: usize, start: i32, end: i32, b: usize, stride: usize, target: usize): void {
  let s0 = f64x2.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (let e = start; e < end; e++) {
    const value = f64x2.splat(<f64>load<f32>(data + (<usize>e << 2)));
    const source = b + <usize>load<i32>(indices + (<usize>e << 2)) * stride;
    s0 = f64x2.add(f64x2.mul(value, v128.load(source)), s0);
    if (groups > 1) s1 = f64x2.add(f64x2.mul(value, v128.load(source, 16)), s1);
    if (groups > 2) s2 = f64x2.add(f64x2.mul(value, v128.load(source, 32)), s2);
    if (groups > 3) s3 = f64x2.add(f64x2.mul(value, v128.load(source, 48)), s3);
    if (groups > 4) s4 = f64x2.add(f64x2.mul(value, v128.load(source, 64)), s4);
    if (groups > 5) s5 = f64x2.add(f64x2.mul(value, v128.load(source, 80)), s5);
    if (groups > 6) s6 = f64x2.add(f64x2.mul(value, v128.load(source, 96)), s6);
    if (groups > 7) s7 = f64x2.add(f64x2.mul(value, v128.load(source, 112)), s7);
  }
  storeGroups(groups, target, s0, s1, s2, s3, s4, s5, s6, s7);
}
