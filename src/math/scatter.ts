// Scatter sums in float64: C += Σ_r (x_r − m)(x_r − m)ᵀ over a block of rows, the upper triangle of C. The pencils'
// pass (cca, pls, lda) sums its covariance so: their B is inverted, and a float32 sum (relative error ~1e-7 of the
// diagonal) moves an eigenvalue by up to κ(B)·1e-7 of itself, while float64 sums keep eigh(A, B)'s accuracy.
//
// The block's deviations are transposed into `columns` (one column of the block after another), so each element of
// C is one dot product of two contiguous columns, summed in row order in two partial sums (even and odd rows): the
// same bits whoever calls, whatever the batch around the block.

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
  // Rows of C two at a time and columns two at a time: four elements from four columns' loads. Every element is the
  // same sum whichever path computes it (`pairSum`'s even and odd rows, then their sum), so the bits do not depend on
  // where a range starts.
  let i = firstRow;
  for (; i + 1 < endRow; i += 2) {
    const ci = i * rows;
    const cn = ci + rows;
    let j = i;
    for (; j + 1 < d; j += 2) {
      const cj = j * rows;
      const cm = cj + rows;
      let a0 = 0, a1 = 0, b0 = 0, b1 = 0, e0 = 0, e1 = 0, f0 = 0, f1 = 0;
      let r = 0;
      for (; r + 1 < rows; r += 2) {
        const x0 = columns[ci + r], y0 = columns[cn + r], u0 = columns[cj + r], v0 = columns[cm + r];
        const x1 = columns[ci + r + 1], y1 = columns[cn + r + 1], u1 = columns[cj + r + 1], v1 = columns[cm + r + 1];
        a0 += x0 * u0;
        a1 += x1 * u1;
        b0 += x0 * v0;
        b1 += x1 * v1;
        e0 += y0 * u0;
        e1 += y1 * u1;
        f0 += y0 * v0;
        f1 += y1 * v1;
      }
      if (r < rows) {
        a0 += columns[ci + r] * columns[cj + r];
        b0 += columns[ci + r] * columns[cm + r];
        e0 += columns[cn + r] * columns[cj + r];
        f0 += columns[cn + r] * columns[cm + r];
      }
      c[i * ld + j] += a0 + a1;
      c[i * ld + j + 1] += b0 + b1;
      // (i + 1, i) is below the diagonal: only the upper triangle is summed.
      if (j > i) c[(i + 1) * ld + j] += e0 + e1;
      c[(i + 1) * ld + j + 1] += f0 + f1;
    }
    if (j < d) {
      c[i * ld + j] += pairSum(columns, ci, j * rows, rows);
      c[(i + 1) * ld + j] += pairSum(columns, cn, j * rows, rows);
    }
  }
  if (i < endRow) {
    for (let j = i; j < d; j++) c[i * ld + j] += pairSum(columns, i * rows, j * rows, rows);
  }
}

/** Σ_r columns[a + r] · columns[b + r], the even rows and the odd rows summed apart, then together. */
function pairSum(columns: Float64Array, a: number, b: number, rows: number): number {
  let even = 0;
  let odd = 0;
  let r = 0;
  for (; r + 1 < rows; r += 2) {
    even += columns[a + r] * columns[b + r];
    odd += columns[a + r + 1] * columns[b + r + 1];
  }
  if (r < rows) even += columns[a + r] * columns[b + r];
  return even + odd;
}
