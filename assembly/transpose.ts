// A transposed copy: the covariance route's product P = C Vᵀ comes out d × p, and the players read it as G = V C.

import { at32 } from './simd';

/** dst (cols × rows, row stride `ldDst`) = srcᵀ for src (rows × cols, row stride `ldSrc`). */
export function transpose(src: usize, rows: i32, cols: i32, ldSrc: i32, dst: usize, ldDst: i32): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(at32(dst, c * ldDst + r), load<f32>(at32(src, r * ldSrc + c)));
  }
}
