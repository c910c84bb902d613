// Scatter sums in float64: C += Σ_r (x_r − m)(x_r − m)ᵀ over a block of rows, the upper triangle of C. The pencils'
// pass (cca, pls, lda) sums its covariance so: their B is inverted, and a float32 sum (relative error ~1e-7 of the
// diagonal) moves an eigenvalue by up to κ(B)·1e-7 of itself, while float64 sums keep eigh(A, B)'s accuracy.
//
// The block's deviations are transposed into `columns` (one column of the block after another), so each element of
// C is one dot product of two contiguous columns, summed in row order with four partial sums (the same bits
// whoever calls, whatever the batch around the block).

/**
 * C (row stride `ld`, upper triangle) += Σ over the `rows` rows of x (row-major, d values each) of (x − mean)(x − mean)ᵀ
 * for C's rows [firstRow, endRow). `columns` holds at least rows × d values of scratch; `transposed` says that it
 * already holds this block's deviations (a call for a later range of rows of C).
 */
export function addScatter(
  x: Float64Array, rows: number, d: number, mean: ArrayLike<number>, c: Float64Array, ld: number,
  columns: Float64Array, range: [number, number], transposed: boolean,
): void {
  if (!transposed) {
    for (let r = 0; r < rows; r++) {
      const base = r * d;
      for (let j = 0; j < d; j++) columns[j * rows + r] = x[base + j] - mean[j];
    }
  }
  const [firstRow, endRow] = range;
  const rows4 = rows & ~3;
  for (let i = firstRow; i < endRow; i++) {
    const ci = i * rows;
    for (let j = i; j < d; j++) {
      const cj = j * rows;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let r = 0; r < rows4; r += 4) {
        s0 += columns[ci + r] * columns[cj + r];
        s1 += columns[ci + r + 1] * columns[cj + r + 1];
        s2 += columns[ci + r + 2] * columns[cj + r + 2];
        s3 += columns[ci + r + 3] * columns[cj + r + 3];
      }
      for (let r = rows4; r < rows; r++) s0 += columns[ci + r] * columns[cj + r];
      c[i * ld + j] += (s0 + s1) + (s2 + s3);
    }
  }
}
