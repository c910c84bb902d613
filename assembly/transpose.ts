// A transposed copy: the covariance route's product P = C Vᵀ comes out d × p, and the players read it as G = V C;
// the sparse routes turn the players' rows into panels of lanes and their products' panels back into rows.

import { at32 } from './simd';

/**
 * dst (cols × rows, row stride `ldDst`) = srcᵀ for src (rows × cols, row stride `ldSrc`): blocks of 4 × 4 through
 * four loads, eight shuffles and four stores, the edges one value at a time. A copy: every value keeps its bits.
 */
export function transpose(src: usize, rows: i32, cols: i32, ldSrc: i32, dst: usize, ldDst: i32): void {
  const rows4 = rows & ~3;
  const cols4 = cols & ~3;
  for (let r = 0; r < rows4; r += 4) {
    const s0 = at32(src, r * ldSrc), s1 = at32(src, (r + 1) * ldSrc), s2 = at32(src, (r + 2) * ldSrc), s3 = at32(src, (r + 3) * ldSrc);
    for (let c = 0; c < cols4; c += 4) {
      const offset = <usize>c << 2;
      const a0 = v128.load(s0 + offset), a1 = v128.load(s1 + offset), a2 = v128.load(s2 + offset), a3 = v128.load(s3 + offset);
      // Rows 0 and 1 interleaved, rows 2 and 3 interleaved, then their halves joined: column j of the block.
      const low01 = i32x4.shuffle(a0, a1, 0, 4, 1, 5), high01 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
      const low23 = i32x4.shuffle(a2, a3, 0, 4, 1, 5), high23 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
      v128.store(at32(dst, c * ldDst + r), i32x4.shuffle(low01, low23, 0, 1, 4, 5));
      v128.store(at32(dst, (c + 1) * ldDst + r), i32x4.shuffle(low01, low23, 2, 3, 6, 7));
      v128.store(at32(dst, (c + 2) * ldDst + r), i32x4.shuffle(high01, high23, 0, 1, 4, 5));
      v128.store(at32(dst, (c + 3) * ldDst + r), i32x4.shuffle(high01, high23, 2, 3, 6, 7));
    }
    for (let c = cols4; c < cols; c++) {
      for (let i = r; i < r + 4; i++) store<f32>(at32(dst, c * ldDst + i), load<f32>(at32(src, i * ldSrc + c)));
    }
  }
  for (let r = rows4; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(at32(dst, c * ldDst + r), load<f32>(at32(src, r * ldSrc + c)));
  }
}
