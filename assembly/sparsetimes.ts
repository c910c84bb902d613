// The sparse data route's products: rows of a compressed sparse matrix times a dense matrix whose rows are
// `width` wide (the players, transposed), each stored entry one axpy of a dense row (f32x4 over the players).
// Used twice a round: P = X Vᵀ from the rows (minus each row's shift, the centring) and Gᵀ = Xᵀ P from the columns.
// A row of the output is summed by one device, its entries in stored order: the same bits for any number of devices.

import { madd } from './simd';

/**
 * out[r, :] = Σ_{e in row r} data[e] · B[indices[e], :] − shift, for rows [first, first + count) of the sparse
 * matrix (`indptr`, `indices` int32; `data` float32). B and out have `width` floats per row, `ld` apart; `shift`:
 * `width` floats subtracted from every output row (0: none).
 */
export function sparseTimes(
  indptr: usize, indices: usize, data: usize, first: i32, count: i32, b: usize, width: i32, ld: i32, out: usize, shift: usize,
): void {
  const w16 = width & ~15;
  const w4 = width & ~3;
  const stride = <usize>ld << 2;
  for (let r = first; r < first + count; r++) {
    const target = out + <usize>r * stride;
    const start = load<i32>(indptr + (<usize>r << 2));
    const end = load<i32>(indptr + (<usize>(r + 1) << 2));
    // Sixteen players at a time in four registers (each entry's index and value loaded once for them), then four.
    for (let j = 0; j < w16; j += 16) {
      const lane = <usize>j << 2;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      if (shift) {
        s0 = f32x4.neg(v128.load(shift + lane)); s1 = f32x4.neg(v128.load(shift + lane, 16));
        s2 = f32x4.neg(v128.load(shift + lane, 32)); s3 = f32x4.neg(v128.load(shift + lane, 48));
      }
      for (let e = start; e < end; e++) {
        const value = f32x4.splat(load<f32>(data + (<usize>e << 2)));
        const source = b + <usize>load<i32>(indices + (<usize>e << 2)) * stride + lane;
        s0 = madd(value, v128.load(source), s0);
        s1 = madd(value, v128.load(source, 16), s1);
        s2 = madd(value, v128.load(source, 32), s2);
        s3 = madd(value, v128.load(source, 48), s3);
      }
      v128.store(target + lane, s0); v128.store(target + lane, s1, 16);
      v128.store(target + lane, s2, 32); v128.store(target + lane, s3, 48);
    }
    for (let j = w16; j < w4; j += 4) {
      const lane = <usize>j << 2;
      let sum = shift ? f32x4.neg(v128.load(shift + lane)) : f32x4.splat(0);
      for (let e = start; e < end; e++) {
        const value = f32x4.splat(load<f32>(data + (<usize>e << 2)));
        const source = b + <usize>load<i32>(indices + (<usize>e << 2)) * stride + lane;
        sum = madd(value, v128.load(source), sum);
      }
      v128.store(target + lane, sum);
    }
    for (let j = w4; j < width; j++) {
      const lane = <usize>j << 2;
      let sum: f32 = shift ? -load<f32>(shift + lane) : 0;
      for (let e = start; e < end; e++) {
        const source = b + <usize>load<i32>(indices + (<usize>e << 2)) * stride + lane;
        sum = load<f32>(data + (<usize>e << 2)) * load<f32>(source) + sum;
      }
      store<f32>(target + lane, sum);
    }
  }
}
