// The sparse data route's products: rows of a compressed sparse matrix times a dense matrix whose rows are
// `width` wide (the players, transposed), each stored entry one axpy of a dense row (f32x4 over the players, up to
// 32 of them at a time).
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
  const w4 = width & ~3;
  const stride = <usize>ld << 2;
  for (let r = first; r < first + count; r++) {
    const target = out + <usize>r * stride;
    const start = load<i32>(indptr + (<usize>(r) << 2));
    const end = load<i32>(indptr + (<usize>(r + 1) << 2));
    // As many players at a time as registers allow (each entry's index and value loaded once for them, each
    // register an independent chain of adds): 32, then 16, 8 and 4, then single lanes. A row of 76 players is
    // four passes over its entries. Every lane sums its entries in stored order whatever its pass.
    let j = 0;
    for (; j + 32 <= w4; j += 32) lanes32(indices, data, start, end, b + (<usize>j << 2), stride, target + (<usize>j << 2), shift ? shift + (<usize>j << 2) : 0);
    if (j + 16 <= w4) {
      lanes16(indices, data, start, end, b + (<usize>j << 2), stride, target + (<usize>j << 2), shift ? shift + (<usize>j << 2) : 0);
      j += 16;
    }
    if (j + 8 <= w4) {
      lanes8(indices, data, start, end, b + (<usize>j << 2), stride, target + (<usize>j << 2), shift ? shift + (<usize>j << 2) : 0);
      j += 8;
    }
    if (j + 4 <= w4) {
      lanes4(indices, data, start, end, b + (<usize>j << 2), stride, target + (<usize>j << 2), shift ? shift + (<usize>j << 2) : 0);
      j += 4;
    }
    for (; j < width; j++) {
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

/** The start of a lane group's sum: minus the shift's lanes, or zero. */
@inline function startOf(shift: usize, offset: usize): v128 {
  return shift ? f32x4.neg(v128.load(shift + offset)) : f32x4.splat(0);
}

/** Entry e's value in four lanes, and the address of its row of B (at this lane group). */
@inline function valueOf(data: usize, e: i32): v128 {
  return f32x4.splat(load<f32>(data + (<usize>e << 2)));
}
@inline function sourceOf(indices: usize, e: i32, b: usize, stride: usize): usize {
  return b + <usize>load<i32>(indices + (<usize>e << 2)) * stride;
}

/** 32 lanes of one output row (b, target and shift point at the group's first lane). */
@inline function lanes32(indices: usize, data: usize, start: i32, end: i32, b: usize, stride: usize, target: usize, shift: usize): void {
  let s0 = startOf(shift, 0), s1 = startOf(shift, 16), s2 = startOf(shift, 32), s3 = startOf(shift, 48);
  let s4 = startOf(shift, 64), s5 = startOf(shift, 80), s6 = startOf(shift, 96), s7 = startOf(shift, 112);
  for (let e = start; e < end; e++) {
    const value = valueOf(data, e);
    const source = sourceOf(indices, e, b, stride);
    s0 = madd(value, v128.load(source), s0);
    s1 = madd(value, v128.load(source, 16), s1);
    s2 = madd(value, v128.load(source, 32), s2);
    s3 = madd(value, v128.load(source, 48), s3);
    s4 = madd(value, v128.load(source, 64), s4);
    s5 = madd(value, v128.load(source, 80), s5);
    s6 = madd(value, v128.load(source, 96), s6);
    s7 = madd(value, v128.load(source, 112), s7);
  }
  v128.store(target, s0); v128.store(target, s1, 16); v128.store(target, s2, 32); v128.store(target, s3, 48);
  v128.store(target, s4, 64); v128.store(target, s5, 80); v128.store(target, s6, 96); v128.store(target, s7, 112);
}

/** 16 lanes of one output row. */
@inline function lanes16(indices: usize, data: usize, start: i32, end: i32, b: usize, stride: usize, target: usize, shift: usize): void {
  let s0 = startOf(shift, 0), s1 = startOf(shift, 16), s2 = startOf(shift, 32), s3 = startOf(shift, 48);
  for (let e = start; e < end; e++) {
    const value = valueOf(data, e);
    const source = sourceOf(indices, e, b, stride);
    s0 = madd(value, v128.load(source), s0);
    s1 = madd(value, v128.load(source, 16), s1);
    s2 = madd(value, v128.load(source, 32), s2);
    s3 = madd(value, v128.load(source, 48), s3);
  }
  v128.store(target, s0); v128.store(target, s1, 16); v128.store(target, s2, 32); v128.store(target, s3, 48);
}

/** 8 lanes of one output row. */
@inline function lanes8(indices: usize, data: usize, start: i32, end: i32, b: usize, stride: usize, target: usize, shift: usize): void {
  let s0 = startOf(shift, 0), s1 = startOf(shift, 16);
  for (let e = start; e < end; e++) {
    const value = valueOf(data, e);
    const source = sourceOf(indices, e, b, stride);
    s0 = madd(value, v128.load(source), s0);
    s1 = madd(value, v128.load(source, 16), s1);
  }
  v128.store(target, s0); v128.store(target, s1, 16);
}

/** 4 lanes of one output row. */
@inline function lanes4(indices: usize, data: usize, start: i32, end: i32, b: usize, stride: usize, target: usize, shift: usize): void {
  let s0 = startOf(shift, 0);
  for (let e = start; e < end; e++) s0 = madd(valueOf(data, e), v128.load(sourceOf(indices, e, b, stride)), s0);
  v128.store(target, s0);
}
