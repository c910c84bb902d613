// v_i ← v_i / ‖v_i‖ for each row, as the seed does after every update. The squared norm is summed in float64
// (products of float32 values are exact there); the division itself is float32, like the seed's.

import { at32, row32 } from './simd';

/** Normalises `rows` rows of d floats in place. A zero row is left as it is (it has no direction). */
export function normalizeRows(v: usize, rows: i32, d: i32): void {
  const d4 = d & ~3;
  for (let r = 0; r < rows; r++) {
    const vRow = row32(v, r, d);
    let squares = 0.0;
    for (let c = 0; c < d; c++) {
      const value = <f64>load<f32>(at32(vRow, c));
      squares += value * value;
    }
    if (squares == 0) continue;
    const norm = <f32>Math.sqrt(squares);
    const norm4 = f32x4.splat(norm);
    for (let c = 0; c < d4; c += 4) {
      const offset = <usize>c << 2;
      v128.store(vRow + offset, f32x4.div(v128.load(vRow + offset), norm4));
    }
    for (let c = d4; c < d; c++) store<f32>(at32(vRow, c), load<f32>(at32(vRow, c)) / norm);
  }
}
