// The data term of every player's gradient: G = Pᵀ (X − 1·meanᵀ), i.e. G[j, c] = Σ_r P[r, j] · (X[r, c] − mean[c]).
// Row j of G is Xᵀ X v_j for the (centred) rows of this block.
//
// G is overwritten. Each G[j, c] is summed over the rows in row order, starting from zero, on every path (4-row
// blocks, remainder rows, SIMD lanes, tail columns), so the bits do not depend on how the rows were blocked.

import { at32, centered1, centered4, row32 } from './simd';

/**
 * G[j, c] += Σ over rows r..r+3 of P[r, j] (X[r, c] − mean[c]), rows added in order. Players go in pairs whose
 * eight weights stay in registers while the columns stream by: each centred load of X feeds two players.
 */
@inline export function backprojectRows4(
  x: usize, r: i32, d: i32, mean: usize, p: usize, ldp: i32, players: i32, g: usize,
): void {
  const d4 = d & ~3;
  const x0 = row32(x, r, d), x1 = row32(x, r + 1, d), x2 = row32(x, r + 2, d), x3 = row32(x, r + 3, d);
  const p0 = row32(p, r, ldp), p1 = row32(p, r + 1, ldp), p2 = row32(p, r + 2, ldp), p3 = row32(p, r + 3, ldp);
  let j = 0;
  for (; j + 2 <= players; j += 2) {
    const wa0 = v128.load32_splat(at32(p0, j)), wa1 = v128.load32_splat(at32(p1, j));
    const wa2 = v128.load32_splat(at32(p2, j)), wa3 = v128.load32_splat(at32(p3, j));
    const wb0 = v128.load32_splat(at32(p0, j + 1)), wb1 = v128.load32_splat(at32(p1, j + 1));
    const wb2 = v128.load32_splat(at32(p2, j + 1)), wb3 = v128.load32_splat(at32(p3, j + 1));
    const ga = row32(g, j, d), gb = row32(g, j + 1, d);
    for (let c = 0; c < d4; c += 4) {
      const offset = <usize>c << 2;
      const xc0 = centered4(x0, mean, offset), xc1 = centered4(x1, mean, offset);
      const xc2 = centered4(x2, mean, offset), xc3 = centered4(x3, mean, offset);
      let a = v128.load(ga + offset);
      let b = v128.load(gb + offset);
      a = f32x4.add(a, f32x4.mul(wa0, xc0)); b = f32x4.add(b, f32x4.mul(wb0, xc0));
      a = f32x4.add(a, f32x4.mul(wa1, xc1)); b = f32x4.add(b, f32x4.mul(wb1, xc1));
      a = f32x4.add(a, f32x4.mul(wa2, xc2)); b = f32x4.add(b, f32x4.mul(wb2, xc2));
      a = f32x4.add(a, f32x4.mul(wa3, xc3)); b = f32x4.add(b, f32x4.mul(wb3, xc3));
      v128.store(ga + offset, a);
      v128.store(gb + offset, b);
    }
  }
  if (j < players) {
    const w0 = v128.load32_splat(at32(p0, j)), w1 = v128.load32_splat(at32(p1, j));
    const w2 = v128.load32_splat(at32(p2, j)), w3 = v128.load32_splat(at32(p3, j));
    const ga = row32(g, j, d);
    for (let c = 0; c < d4; c += 4) {
      const offset = <usize>c << 2;
      let a = v128.load(ga + offset);
      a = f32x4.add(a, f32x4.mul(w0, centered4(x0, mean, offset)));
      a = f32x4.add(a, f32x4.mul(w1, centered4(x1, mean, offset)));
      a = f32x4.add(a, f32x4.mul(w2, centered4(x2, mean, offset)));
      a = f32x4.add(a, f32x4.mul(w3, centered4(x3, mean, offset)));
      v128.store(ga + offset, a);
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
