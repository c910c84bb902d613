// The data term of every player's gradient: G = Pᵀ (X − 1·meanᵀ), i.e. G[j, c] = Σ_r P[r, j] · (X[r, c] − mean[c]).
// Row j of G is Xᵀ X v_j for the (centred) rows of this block.
//
// G is overwritten. Each G[j, c] is summed over the rows in row order, starting from zero, on every path (4-row
// blocks, remainder rows, SIMD lanes, tail columns), so the bits do not depend on how the rows were blocked.

import { at32, centered1, centered4, row32 } from './simd';

/** G[j, c] += Σ over rows r..r+3 of P[r, j] (X[r, c] − mean[c]): one centred load of X feeds every player. */
@inline export function backprojectRows4(
  x: usize, r: i32, d: i32, mean: usize, p: usize, ldp: i32, players: i32, g: usize,
): void {
  const d4 = d & ~3;
  const x0 = row32(x, r, d), x1 = row32(x, r + 1, d), x2 = row32(x, r + 2, d), x3 = row32(x, r + 3, d);
  const p0 = row32(p, r, ldp), p1 = row32(p, r + 1, ldp), p2 = row32(p, r + 2, ldp), p3 = row32(p, r + 3, ldp);
  for (let c = 0; c < d4; c += 4) {
    const offset = <usize>c << 2;
    const xc0 = centered4(x0, mean, offset), xc1 = centered4(x1, mean, offset);
    const xc2 = centered4(x2, mean, offset), xc3 = centered4(x3, mean, offset);
    for (let j = 0; j < players; j++) {
      const gAt = row32(g, j, d) + offset;
      let acc = v128.load(gAt);
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(at32(p0, j)), xc0));
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(at32(p1, j)), xc1));
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(at32(p2, j)), xc2));
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(at32(p3, j)), xc3));
      v128.store(gAt, acc);
    }
  }
  for (let c = d4; c < d; c++) {
    const xc0 = centered1(x0, mean, c), xc1 = centered1(x1, mean, c);
    const xc2 = centered1(x2, mean, c), xc3 = centered1(x3, mean, c);
    for (let j = 0; j < players; j++) {
      const gAt = at32(row32(g, j, d), c);
      let acc = load<f32>(gAt);
      acc += load<f32>(at32(p0, j)) * xc0;
      acc += load<f32>(at32(p1, j)) * xc1;
      acc += load<f32>(at32(p2, j)) * xc2;
      acc += load<f32>(at32(p3, j)) * xc3;
      store<f32>(gAt, acc);
    }
  }
}

/** G[j, c] += P[r, j] (X[r, c] − mean[c]) for one row r. */
@inline export function backprojectRow(
  x: usize, r: i32, d: i32, mean: usize, p: usize, ldp: i32, players: i32, g: usize,
): void {
  const d4 = d & ~3;
  const xRow = row32(x, r, d);
  const pRow = row32(p, r, ldp);
  for (let j = 0; j < players; j++) {
    const gRow = row32(g, j, d);
    const weight = v128.load32_splat(at32(pRow, j));
    for (let c = 0; c < d4; c += 4) {
      const offset = <usize>c << 2;
      v128.store(gRow + offset, f32x4.add(v128.load(gRow + offset), f32x4.mul(weight, centered4(xRow, mean, offset))));
    }
    const scalarWeight = load<f32>(at32(pRow, j));
    for (let c = d4; c < d; c++) {
      store<f32>(at32(gRow, c), load<f32>(at32(gRow, c)) + scalarWeight * centered1(xRow, mean, c));
    }
  }
}

/** G = Pᵀ (X − mean) for `rows` rows of X (rows × d) and `players` columns of P (row stride `ldp`); G is players × d. */
export function backproject(x: usize, rows: i32, d: i32, mean: usize, p: usize, ldp: i32, players: i32, g: usize): void {
  memory.fill(g, 0, (<usize>players * <usize>d) << 2);
  let r = 0;
  for (; r + 4 <= rows; r += 4) backprojectRows4(x, r, d, mean, p, ldp, players, g);
  for (; r < rows; r++) backprojectRow(x, r, d, mean, p, ldp, players, g);
}
