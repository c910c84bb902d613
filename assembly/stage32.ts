// stage.ts's blockMoments and packRows for a block of float32 values staged as they are (a float32 .npy's bytes):
// each value is widened to float64 as it is loaded, exactly, and then takes the same operations in the same order as
// in stage.ts, so the moments and the packed block have the bits that stage.ts gives for the same values widened
// first. Staging them as float32 halves the bytes the host writes and these kernels read.

import { at32, at64, row32 } from './simd';

/** Two float32 values at `at`, widened to float64. */
@inline function widenedPair(at: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(at));
}

/** One float32 value at `at`, widened to float64. */
@inline function widened(at: usize): f64 {
  return <f64>load<f32>(at);
}

/** stage.ts's blockMoments for `rows` rows of d float32 values at x: the column means and Σ (x − mean)², in float64. */
export function blockMoments32(x: usize, rows: i32, d: i32, mean: usize, squares: usize): void {
  memory.fill(mean, 0, <usize>d << 3);
  memory.fill(squares, 0, <usize>d << 3);
  const d2 = d & ~1;
  for (let r = 0; r < rows; r++) {
    const xRow = row32(x, r, d);
    for (let c = 0; c < d2; c += 2) {
      const at = at64(mean, c);
      v128.store(at, f64x2.add(v128.load(at), widenedPair(at32(xRow, c))));
    }
    if (d2 < d) store<f64>(at64(mean, d2), load<f64>(at64(mean, d2)) + widened(at32(xRow, d2)));
  }
  const count = f64x2.splat(<f64>rows);
  for (let c = 0; c < d2; c += 2) v128.store(at64(mean, c), f64x2.div(v128.load(at64(mean, c)), count));
  if (d2 < d) store<f64>(at64(mean, d2), load<f64>(at64(mean, d2)) / <f64>rows);
  for (let r = 0; r < rows; r++) {
    const xRow = row32(x, r, d);
    for (let c = 0; c < d2; c += 2) {
      const deviation = f64x2.sub(widenedPair(at32(xRow, c)), v128.load(at64(mean, c)));
      const at = at64(squares, c);
      v128.store(at, f64x2.add(v128.load(at), f64x2.mul(deviation, deviation)));
    }
    if (d2 < d) {
      const deviation = widened(at32(xRow, d2)) - load<f64>(at64(mean, d2));
      store<f64>(at64(squares, d2), load<f64>(at64(squares, d2)) + deviation * deviation);
    }
  }
}

/** Four values of a float32 row, (x − mean) · scale in float64, rounded to float32 (zeros past column d). */
@inline function centredQuad32(xRow: usize, mean: usize, scale: v128, c: i32, d: i32): v128 {
  if (c + 4 <= d) {
    const values = v128.load(at32(xRow, c));
    const low = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(values), v128.load(at64(mean, c))), scale);
    const upper = i32x4.shuffle(values, values, 2, 3, 2, 3);
    const high = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(upper), v128.load(at64(mean, c + 2))), scale);
    return i32x4.shuffle(f32x4.demote_f64x2_zero(low), f32x4.demote_f64x2_zero(high), 0, 1, 4, 5);
  }
  let quad = f32x4.splat(0);
  const s = f64x2.extract_lane(scale, 0);
  if (c < d) quad = f32x4.replace_lane(quad, 0, <f32>((widened(at32(xRow, c)) - load<f64>(at64(mean, c))) * s));
  if (c + 1 < d) quad = f32x4.replace_lane(quad, 1, <f32>((widened(at32(xRow, c + 1)) - load<f64>(at64(mean, c + 1))) * s));
  if (c + 2 < d) quad = f32x4.replace_lane(quad, 2, <f32>((widened(at32(xRow, c + 2)) - load<f64>(at64(mean, c + 2))) * s));
  return quad;
}

/**
 * stage.ts's packRows for float32 rows: rows [first, first + rows) of the `total` rows (d float32 values each, at x)
 * into packed row blocks of `blockRows` rows × `padded` columns at `out` (assembly/syrk.ts's layout).
 */
export function packRows32(
  x: usize, rows: i32, d: i32, mean: usize, scale: f64, first: i32, total: i32, blockRows: i32, padded: i32, out: usize,
): void {
  const s = f64x2.splat(scale);
  for (let r = 0; r < rows; r++) {
    const row = first + r;
    const block = row / blockRows;
    const height = min(blockRows, total - block * blockRows);
    const base = out + ((<usize>block * <usize>blockRows * <usize>padded + <usize>(row - block * blockRows) * 4) << 2);
    const groupBytes = <usize>height << 4;
    const xRow = row32(x, r, d);
    for (let c = 0; c < padded; c += 4) v128.store(base + <usize>(c >> 2) * groupBytes, centredQuad32(xRow, mean, s, c, d));
  }
}
