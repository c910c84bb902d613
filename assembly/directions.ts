// pca's players' momentum directions W = G − β U over a block of columns, taken out of the rows of G and U
// (`stride` floats apart) into float64 rows of `width` values: what directiongram.ts and triangularmove.ts both
// read, formed by the one helper so that both see the same bits. Each value is float32 arithmetic, as
// assembly/play.ts forms it (g − f32(β)·u: a multiply and a subtraction), then widened exactly.

import { at32, at64, row32, row64 } from './simd';

/** Four float32 lanes, widened to two pairs of float64 at `out`. */
@inline function widen4(values: v128, out: usize): void {
  v128.store(out, f64x2.promote_low_f32x4(values));
  v128.store(out + 16, f64x2.promote_low_f32x4(i32x4.shuffle(values, values, 2, 3, 0, 1)));
}

/** Rows 0 .. p − 1 of `block` (float64, `width` apart) = columns [first, first + columns) of G − β U. */
@inline export function formDirections(
  g: usize, u: usize, p: i32, stride: i32, first: i32, columns: i32, beta: f64, block: usize, width: i32,
): void {
  const s32 = <f32>beta;
  const s4 = f32x4.splat(s32);
  const columns4 = columns & ~3;
  const offset = <usize>first << 2;
  for (let i = 0; i < p; i++) {
    const gRow = row32(g, i, stride) + offset, uRow = row32(u, i, stride) + offset, out = row64(block, i, width);
    for (let c = 0; c < columns4; c += 4) {
      const at = <usize>c << 2;
      widen4(f32x4.sub(v128.load(gRow + at), f32x4.mul(s4, v128.load(uRow + at))), at64(out, c));
    }
    for (let c = columns4; c < columns; c++) store<f64>(at64(out, c), <f64>(load<f32>(at32(gRow, c)) - s32 * load<f32>(at32(uRow, c))));
  }
}

/** Rows 0 .. p − 1 of `block` (float64, `width` apart) = columns [first, first + columns) of V, widened. */
@inline export function widenRows(v: usize, p: i32, stride: i32, first: i32, columns: i32, block: usize, width: i32): void {
  const columns4 = columns & ~3;
  const offset = <usize>first << 2;
  for (let i = 0; i < p; i++) {
    const vRow = row32(v, i, stride) + offset, out = row64(block, i, width);
    for (let c = 0; c < columns4; c += 4) widen4(v128.load(vRow + (<usize>c << 2)), at64(out, c));
    for (let c = columns4; c < columns; c++) store<f64>(at64(out, c), <f64>load<f32>(at32(vRow, c)));
  }
}
