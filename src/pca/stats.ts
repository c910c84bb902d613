// The data's exact statistics, from the caller's own values in float64, before anything is rounded to float32.
//
// Column means and sums of squared deviations are taken block by block (assembly/stage.ts: each block's mean first,
// then its squared deviations from it) and blocks are merged with Chan, Golub and LeVeque's pairwise update. No
// offset from zero ever meets a square, so data far from zero (timestamps near 1.7e9, an offset of 1e9) loses
// nothing; rows reach float32 only as (x − mean) · scale, rounded once (pack.ts). The scale is a power of two that
// brings the typical deviation near 1: exact to apply and to undo, and it keeps the squares that the kernels sum in
// float32 far from overflow (values of 1e20) and underflow (values of 1e-25).

/** Rows per block of the statistics and packing passes: a staged block of the caller's values. */
export const STAGE_ROWS = 256;

/** Float64 values of the staging area for rows of d values: a block, its mean and its squared deviations. */
export const stageSize = (d: number) => (STAGE_ROWS + 2) * d;

export class ColumnMoments {
  rows = 0;
  readonly mean: Float64Array;
  /** Σ (x − mean)² per column. */
  readonly squares: Float64Array;

  constructor(readonly d: number) {
    this.mean = new Float64Array(d);
    this.squares = new Float64Array(d);
  }

  /** Merges in a block of `rows` rows with column means `blockMean` and squared deviations `blockSquares`. */
  merge(rows: number, blockMean: ArrayLike<number>, blockSquares: ArrayLike<number>): void {
    const total = this.rows + rows;
    const weight = (this.rows * rows) / total;
    for (let c = 0; c < this.d; c++) {
      if (this.rows === 0) {
        // The first block is the whole so far (a huge mean squared times no rows would be ∞ · 0).
        this.mean[c] = blockMean[c];
        this.squares[c] = blockSquares[c];
        continue;
      }
      const delta = blockMean[c] - this.mean[c];
      this.squares[c] += blockSquares[c] + delta * delta * weight;
      this.mean[c] += (delta * rows) / total;
    }
    this.rows = total;
  }

  /** Σ over columns of the squared deviations from the mean (centred) or from zero (not centred). */
  sumOfSquares(center: boolean): number {
    let sum = 0;
    for (let c = 0; c < this.d; c++) sum += this.squares[c] + (center ? 0 : this.rows * this.mean[c] * this.mean[c]);
    return sum;
  }

  /** The total variance (denominator n − 1) about the mean (centred) or about zero (not centred). */
  totalVariance(center: boolean): number {
    return this.sumOfSquares(center) / (this.rows - 1);
  }

  /** What the model subtracts: the mean (centred) or zeros. */
  subtracted(center: boolean): Float64Array {
    return center ? this.mean : new Float64Array(this.d);
  }

  /** Whether every value merged in was finite (a NaN or an infinity leaves its column's mean or squares not). */
  finite(): boolean {
    // A loop: typed arrays' every() with a callback costs several times more, on every staged block.
    for (let c = 0; c < this.d; c++) if (!Number.isFinite(this.mean[c]) || Number.isNaN(this.squares[c])) return false;
    return true;
  }
}

/**
 * The power of two that brings the root mean square of the values the kernels will see (deviations from the mean,
 * or the values themselves with `center` false) near 1. `name` is the data's, for the errors.
 */
export function powerOfTwoScale(moments: ColumnMoments, center: boolean, name: string): number {
  return scaleForMeanSquare(moments.sumOfSquares(center) / (moments.rows * moments.d), name);
}

/** The power of two that brings values of mean square `meanSquare` near 1 (`name`'s, for the errors). */
export function scaleForMeanSquare(meanSquare: number, name: string): number {
  if (meanSquare === Infinity) {
    throw new RangeError(`${name}'s values are too large for float64 arithmetic: their squares overflow it (beyond about 1e154)`);
  }
  if (!(meanSquare > 0)) throw new RangeError(`${name} has no variance: every row is the same`);
  return 2 ** -Math.round(Math.log2(meanSquare) / 2);
}
