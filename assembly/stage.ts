// The exact statistics and the one rounding of pca's rows (src/pca/stats.ts, pack.ts), on a block of the caller's
// values staged in float64, or in float32 as a float32 file stores them: column means and squared deviations in
// float64, then each value's (x − mean) · scale in float64, rounded to float32 once and written where the route's
// kernels read it. A float32 value is widened to float64 exactly as it is loaded and then takes the same operations
// in the same order, so a block staged as float32 gives the bits of the same values staged widened (and the host
// writes, and these kernels read, half the bytes).

import { at32, at64, row32, row64 } from './simd';

/** Row r of rows of d staged values of type T (f64, or f32). */
@inline function rowOf<T>(x: usize, r: i32, d: i32): usize {
  return sizeof<T>() == 8 ? row64(x, r, d) : row32(x, r, d);
}

/** The staged value at column c of a row, in float64 (a float32 one widened, exactly). */
@inline function valueAt<T>(row: usize, c: i32): f64 {
  if (sizeof<T>() == 8) return load<f64>(at64(row, c));
  return <f64>load<f32>(at32(row, c));
}

/** The staged values at columns c and c + 1 of a row, as two float64 lanes (float32 ones widened, exactly). */
@inline function pairAt<T>(row: usize, c: i32): v128 {
  if (sizeof<T>() == 8) return v128.load(at64(row, c));
  return f64x2.promote_low_f32x4(v128.load64_zero(at32(row, c)));
}

/** Rows per pass over a block's sums: each sum is loaded and stored once per four rows, not once per row. */
const ROWS_PER_PASS = 4;

/** Σ into `sums`: each column of rows [r, r + count) of the block (count ≤ ROWS_PER_PASS), added in row order. */
@inline function addRows<T>(x: usize, r: i32, count: i32, d: i32, sums: usize): void {
  const d2 = d & ~1;
  const stride = <usize>d * sizeof<T>();
  const first = rowOf<T>(x, r, d);
  for (let c = 0; c < d2; c += 2) {
    const at = at64(sums, c);
    let sum = v128.load(at);
    if (count == ROWS_PER_PASS) {
      sum = f64x2.add(sum, pairAt<T>(first, c));
      sum = f64x2.add(sum, pairAt<T>(first + stride, c));
      sum = f64x2.add(sum, pairAt<T>(first + 2 * stride, c));
      sum = f64x2.add(sum, pairAt<T>(first + 3 * stride, c));
    } else {
      for (let i = 0, row = first; i < count; i++, row += stride) sum = f64x2.add(sum, pairAt<T>(row, c));
    }
    v128.store(at, sum);
  }
  if (d2 < d) {
    let sum = load<f64>(at64(sums, d2));
    for (let i = 0, row = first; i < count; i++, row += stride) sum += valueAt<T>(row, d2);
    store<f64>(at64(sums, d2), sum);
  }
}

/** sum + deviation², lane by lane. */
@inline function addSquare(sum: v128, deviation: v128): v128 {
  return f64x2.add(sum, f64x2.mul(deviation, deviation));
}

/** Σ into `squares`: each column's (x − mean)² over rows [r, r + count) of the block (count ≤ ROWS_PER_PASS), in row order. */
@inline function addSquares<T>(x: usize, r: i32, count: i32, d: i32, mean: usize, squares: usize): void {
  const d2 = d & ~1;
  const stride = <usize>d * sizeof<T>();
  const first = rowOf<T>(x, r, d);
  for (let c = 0; c < d2; c += 2) {
    const centre = v128.load(at64(mean, c));
    const at = at64(squares, c);
    let sum = v128.load(at);
    if (count == ROWS_PER_PASS) {
      sum = addSquare(sum, f64x2.sub(pairAt<T>(first, c), centre));
      sum = addSquare(sum, f64x2.sub(pairAt<T>(first + stride, c), centre));
      sum = addSquare(sum, f64x2.sub(pairAt<T>(first + 2 * stride, c), centre));
      sum = addSquare(sum, f64x2.sub(pairAt<T>(first + 3 * stride, c), centre));
    } else {
      for (let i = 0, row = first; i < count; i++, row += stride) sum = addSquare(sum, f64x2.sub(pairAt<T>(row, c), centre));
    }
    v128.store(at, sum);
  }
  if (d2 < d) {
    const centre = load<f64>(at64(mean, d2));
    let sum = load<f64>(at64(squares, d2));
    for (let i = 0, row = first; i < count; i++, row += stride) {
      const deviation = valueAt<T>(row, d2) - centre;
      sum += deviation * deviation;
    }
    store<f64>(at64(squares, d2), sum);
  }
}

/**
 * For `rows` rows of d values of type T at x: mean[c] = the column's mean, squares[c] = Σ (x − mean[c])², in float64,
 * each summed in row order (the mean first, then the deviations from it: no cancellation, whatever the data's offset).
 */
function blockMomentsOf<T>(x: usize, rows: i32, d: i32, mean: usize, squares: usize): void {
  memory.fill(mean, 0, <usize>d << 3);
  memory.fill(squares, 0, <usize>d << 3);
  for (let r = 0; r < rows; r += ROWS_PER_PASS) addRows<T>(x, r, min(ROWS_PER_PASS, rows - r), d, mean);
  const d2 = d & ~1;
  const count = f64x2.splat(<f64>rows);
  for (let c = 0; c < d2; c += 2) v128.store(at64(mean, c), f64x2.div(v128.load(at64(mean, c)), count));
  if (d2 < d) store<f64>(at64(mean, d2), load<f64>(at64(mean, d2)) / <f64>rows);
  for (let r = 0; r < rows; r += ROWS_PER_PASS) addSquares<T>(x, r, min(ROWS_PER_PASS, rows - r), d, mean, squares);
}

/** blockMomentsOf for rows of float64 values. */
export function blockMoments(x: usize, rows: i32, d: i32, mean: usize, squares: usize): void {
  blockMomentsOf<f64>(x, rows, d, mean, squares);
}

/** blockMomentsOf for rows of float32 values (a float32 file's, staged as they are). */
export function blockMoments32(x: usize, rows: i32, d: i32, mean: usize, squares: usize): void {
  blockMomentsOf<f32>(x, rows, d, mean, squares);
}

/** Four values of a row, (x − mean) · scale in float64, rounded to float32 (zeros past column d). */
@inline function centredQuad<T>(xRow: usize, mean: usize, scale: v128, c: i32, d: i32): v128 {
  if (c + 4 <= d) {
    const low = f64x2.mul(f64x2.sub(pairAt<T>(xRow, c), v128.load(at64(mean, c))), scale);
    const high = f64x2.mul(f64x2.sub(pairAt<T>(xRow, c + 2), v128.load(at64(mean, c + 2))), scale);
    return i32x4.shuffle(f32x4.demote_f64x2_zero(low), f32x4.demote_f64x2_zero(high), 0, 1, 4, 5);
  }
  let quad = f32x4.splat(0);
  const s = f64x2.extract_lane(scale, 0);
  if (c < d) quad = f32x4.replace_lane(quad, 0, <f32>((valueAt<T>(xRow, c) - load<f64>(at64(mean, c))) * s));
  if (c + 1 < d) quad = f32x4.replace_lane(quad, 1, <f32>((valueAt<T>(xRow, c + 1) - load<f64>(at64(mean, c + 1))) * s));
  if (c + 2 < d) quad = f32x4.replace_lane(quad, 2, <f32>((valueAt<T>(xRow, c + 2) - load<f64>(at64(mean, c + 2))) * s));
  return quad;
}

/**
 * Rows [first, first + rows) of the `total` rows (d values of type T each, staged at x) into packed row blocks of
 * `blockRows` rows × `padded` columns at `out` (the blocks of all rows one after the other: assembly/syrk.ts's layout).
 */
function packRowsOf<T>(
  x: usize, rows: i32, d: i32, mean: usize, scale: f64, first: i32, total: i32, blockRows: i32, padded: i32, out: usize,
): void {
  const s = f64x2.splat(scale);
  for (let r = 0; r < rows; r++) {
    const row = first + r;
    const block = row / blockRows;
    const height = min(blockRows, total - block * blockRows);
    const base = out + ((<usize>block * <usize>blockRows * <usize>padded + <usize>(row - block * blockRows) * 4) << 2);
    const groupBytes = <usize>height << 4;
    const xRow = rowOf<T>(x, r, d);
    for (let c = 0; c < padded; c += 4) v128.store(base + <usize>(c >> 2) * groupBytes, centredQuad<T>(xRow, mean, s, c, d));
  }
}

/** packRowsOf for rows of float64 values. */
export function packRows(
  x: usize, rows: i32, d: i32, mean: usize, scale: f64, first: i32, total: i32, blockRows: i32, padded: i32, out: usize,
): void {
  packRowsOf<f64>(x, rows, d, mean, scale, first, total, blockRows, padded, out);
}

/** packRowsOf for rows of float32 values (a float32 file's, staged as they are). */
export function packRows32(
  x: usize, rows: i32, d: i32, mean: usize, scale: f64, first: i32, total: i32, blockRows: i32, padded: i32, out: usize,
): void {
  packRowsOf<f32>(x, rows, d, mean, scale, first, total, blockRows, padded, out);
}

/** Rows [first, first + rows) as plain float32 rows of d at `out` (the data route's layout). */
export function packPlain(x: usize, rows: i32, d: i32, mean: usize, scale: f64, first: i32, out: usize): void {
  const s = f64x2.splat(scale);
  const d4 = d & ~3;
  for (let r = 0; r < rows; r++) {
    const xRow = row64(x, r, d);
    const outRow = out + ((<usize>(first + r) * <usize>d) << 2);
    for (let c = 0; c < d4; c += 4) v128.store(outRow + (<usize>c << 2), centredQuad<f64>(xRow, mean, s, c, d));
    for (let c = d4; c < d; c++) store<f32>(at32(outRow, c), <f32>((load<f64>(at64(xRow, c)) - load<f64>(at64(mean, c))) * scale));
  }
}

/**
 * Rows [first, first + rows) of `total`, transposed: feature c of sample r goes to packed blocks of `blockRows`
 * features × `padded` samples at `out` (the Gram route's layout: syrk of the transpose sums XXᵀ). `first` and
 * `rows` are multiples of 4 but for the last rows, whose missing samples are zeros.
 */
export function packColumns(
  x: usize, rows: i32, d: i32, mean: usize, scale: f64, first: i32, blockRows: i32, padded: i32, out: usize,
): void {
  for (let r = 0; r < rows; r += 4) {
    const sample = first + r;
    for (let c = 0; c < d; c++) {
      const block = c / blockRows;
      const height = min(blockRows, d - block * blockRows);
      const at = out + ((<usize>block * <usize>blockRows * <usize>padded + <usize>(sample >> 2) * <usize>height * 4 + <usize>(c - block * blockRows) * 4) << 2);
      const m = load<f64>(at64(mean, c));
      let quad = f32x4.splat(0);
      quad = f32x4.replace_lane(quad, 0, <f32>((load<f64>(at64(row64(x, r, d), c)) - m) * scale));
      if (r + 1 < rows) quad = f32x4.replace_lane(quad, 1, <f32>((load<f64>(at64(row64(x, r + 1, d), c)) - m) * scale));
      if (r + 2 < rows) quad = f32x4.replace_lane(quad, 2, <f32>((load<f64>(at64(row64(x, r + 2, d), c)) - m) * scale));
      if (r + 3 < rows) quad = f32x4.replace_lane(quad, 3, <f32>((load<f64>(at64(row64(x, r + 3, d), c)) - m) * scale));
      v128.store(at, quad);
    }
  }
}
