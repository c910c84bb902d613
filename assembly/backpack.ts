// The Gram route's components: with the centred data stored transposed and packed (features in blocks of `rows`,
// samples in groups of four: the layout syrk.ts reads), the component of the Gram matrix's eigenvector u is Xᵀu,
// i.e. for each feature c, Σ_r X[r, c] u[r]. Four lane sums per (feature, vector), folded at the end.

import { at32, hsum, madd, row32 } from './simd';

/**
 * out[i, first + q] = Σ_r Y[q, r] u_i[r] for the `rows` features of one packed block (q < rows), for k vectors u
 * (k × ldu floats, samples padded to a multiple of 4 with zeros) and `groups` groups of four samples. `out` is k × ldo.
 * `acc` is scratch for k · rows v128 sums.
 */
export function packedTimes(block: usize, rows: i32, groups: i32, u: usize, k: i32, ldu: i32, out: usize, ldo: i32, first: i32, acc: usize): void {
  const groupBytes = <usize>rows << 4;
  memory.fill(acc, 0, (<usize>k * <usize>rows) << 4);
  for (let g = 0; g < groups; g++) {
    const group = block + <usize>g * groupBytes;
    for (let i = 0; i < k; i++) {
      const weights = v128.load(row32(u, i, ldu) + (<usize>g << 4));
      const sums = acc + ((<usize>i * <usize>rows) << 4);
      for (let q = 0; q < rows; q++) {
        const at = sums + (<usize>q << 4);
        v128.store(at, madd(v128.load(group + (<usize>q << 4)), weights, v128.load(at)));
      }
    }
  }
  for (let i = 0; i < k; i++) {
    const sums = acc + ((<usize>i * <usize>rows) << 4);
    const outRow = row32(out, i, ldo);
    for (let q = 0; q < rows; q++) store<f32>(at32(outRow, first + q), hsum(v128.load(sums + (<usize>q << 4))));
  }
}
