// The sparse data route's products: rows of a compressed sparse matrix times a dense matrix whose rows are
// `width` wide (the players, transposed), each stored entry one axpy of a dense row (f32x4 over the players, up to
// 32 of them a pass; the devices call it on panels of at most 32 players, src/devices/memory.ts lanePanels).
// Used twice a round: P = X Vᵀ from the rows (minus each row's shift, the centring) and Gᵀ = Xᵀ P from the columns.
// A row of the output is summed by one device, its entries in stored order: the same bits for any number of devices.

import { madd, storeGroups } from './simd';

/**
 * out[r, :] = Σ_{e in row r} data[e] · B[indices[e], :] − shift, for rows [first, first + count) of the sparse
 * matrix (`indptr`, `indices` int32; `data` float32). B and out have `width` floats per row, `ld` apart; `shift`:
 * `width` floats subtracted from every output row (0: none).
 */
export function sparseTimes(
  indptr: usize, indices: usize, data: usize, first: i32, count: i32, b: usize, width: i32, ld: i32, out: usize, shift: usize,
): void {
  const chains = width >> 2;
  const passes = (chains + MOST_CHAINS - 1) / MOST_CHAINS;
  const stride = <usize>ld << 2;
  for (let r = first; r < first + count; r++) {
    const target = out + <usize>r * stride;
    const start = load<i32>(indptr + (<usize>(r) << 2));
    const end = load<i32>(indptr + (<usize>(r + 1) << 2));
    // The lanes' f32x4 groups in passes over the row's entries as even as can be (76 players: 7, 6 and 6 groups),
    // each entry's index and value loaded once a pass. Every lane sums its entries in stored order whatever its pass.
    for (let pass = 0, done = 0; pass < passes; pass++) {
      const groups = (chains - done + (passes - pass) - 1) / (passes - pass);
      const offset = <usize>done << 4;
      const from = shift ? shift + offset : 0;
      switch (groups) {
        case 1: lanes(1, indices, data, start, end, b + offset, stride, target + offset, from); break;
        case 2: lanes(2, indices, data, start, end, b + offset, stride, target + offset, from); break;
        case 3: lanes(3, indices, data, start, end, b + offset, stride, target + offset, from); break;
        case 4: lanes(4, indices, data, start, end, b + offset, stride, target + offset, from); break;
        case 5: lanes(5, indices, data, start, end, b + offset, stride, target + offset, from); break;
        case 6: lanes(6, indices, data, start, end, b + offset, stride, target + offset, from); break;
        case 7: lanes(7, indices, data, start, end, b + offset, stride, target + offset, from); break;
        default: lanes(8, indices, data, start, end, b + offset, stride, target + offset, from); break;
      }
      done += groups;
    }
    for (let j = chains << 2; j < width; j++) {
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

/**
 * f32x4 groups of lanes per pass over a row's entries: each group one register and an independent chain of adds.
 * Eight keep a multiply-add unit busy through the chains' latency and leave registers for the rest (ten spill on
 * x86-64; eight passes of 4 lanes are latency-bound, four times the time of one of 32).
 */
const MOST_CHAINS = 8;

/** The start of a lane group's sum: minus the shift's lanes, or zero. */
@inline function startOf(shift: usize, offset: usize): v128 {
  return shift ? f32x4.neg(v128.load(shift + offset)) : f32x4.splat(0);
}

/**
 * `groups` (a constant at each call: the code of the groups not taken is folded away) f32x4 groups of one output row
 * (b, target and shift point at the pass's first lane).
 */
@inline function lanes(groups: i32, indices: usize, data: usize, start: i32, end: i32, b: usize, stride: usize, target: usize, shift: usize): void {
  let s0 = startOf(shift, 0);
  let s1 = groups > 1 ? startOf(shift, 16) : s0, s2 = groups > 2 ? startOf(shift, 32) : s0, s3 = groups > 3 ? startOf(shift, 48) : s0;
  let s4 = groups > 4 ? startOf(shift, 64) : s0, s5 = groups > 5 ? startOf(shift, 80) : s0, s6 = groups > 6 ? startOf(shift, 96) : s0;
  let s7 = groups > 7 ? startOf(shift, 112) : s0;
  for (let e = start; e < end; e++) {
    const value = f32x4.splat(load<f32>(data + (<usize>e << 2)));
    const source = b + <usize>load<i32>(indices + (<usize>e << 2)) * stride;
    s0 = madd(value, v128.load(source), s0);
    if (groups > 1) s1 = madd(value, v128.load(source, 16), s1);
    if (groups > 2) s2 = madd(value, v128.load(source, 32), s2);
    if (groups > 3) s3 = madd(value, v128.load(source, 48), s3);
    if (groups > 4) s4 = madd(value, v128.load(source, 64), s4);
    if (groups > 5) s5 = madd(value, v128.load(source, 80), s5);
    if (groups > 6) s6 = madd(value, v128.load(source, 96), s6);
    if (groups > 7) s7 = madd(value, v128.load(source, 112), s7);
  }
  storeGroups(groups, target, s0, s1, s2, s3, s4, s5, s6, s7);
}
