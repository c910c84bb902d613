// The data term of every player's gradient: G = Pᵀ X, i.e. G[j, c] = Σ_r P[r, j] · X[r, c], for rows of X already
// centred (center.ts). Row j of G is Xᵀ X v_j for the rows of this block.
//
// G is overwritten. Each G[j, c] is summed over the rows in row order, starting from zero, on every path (4-row
// blocks and remainder rows through `madd`, tail columns one by one), so the bits do not depend on how the rows
// were blocked.

import { at32, madd, row32 } from './simd';

/**
 * G[j, c] += Σ over rows r..r+3 of P[r, j] X[r, c], rows added in order. Players go in pairs whose eight weights
 * stay in registers while the columns stream by: each load of X feeds two players.
 */
@inline export function backprojectRows4(x: usize, r: i32, d: i32, p: usize, ldp: i32, players: i32, g: usize): void {
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
      const xc0 = v128.load(x0 + offset), xc1 = v128.load(x1 + offset);
      const xc2 = v128.load(x2 + offset), xc3 = v128.load(x3 + offset);
      let a = v128.load(ga + offset);
      let b = v128.load(gb + offset);
      a = madd(wa0, xc0, a); b = madd(wb0, xc0, b);
      a = madd(wa1, xc1, a); b = madd(wb1, xc1, b);
      a = madd(wa2, xc2, a); b = madd(wb2, xc2, b);
      a = madd(wa3, xc3, a); b = madd(wb3, xc3, b);
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
      a = madd(w0, v128.load(x0 + offset), a);
      a = madd(w1, v128.load(x1 + offset), a);
      a = madd(w2, v128.load(x2 + offset), a);
      a = madd(w3, v128.load(x3 + offset), a);
      v128.store(ga + offset, a);
    }
  }
  for (let c = d4; c < d; c++) {
    const xc0 = load<f32>(at32(x0, c)), xc1 = load<f32>(at32(x1, c));
    const xc2 = load<f32>(at32(x2, c)), xc3 = load<f32>(at32(x3, c));
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

/** G[j, c] += P[r, j] X[r, c] for one row r. */
@inline export function backprojectRow(x: usize, r: i32, d: i32, p: usize, ldp: i32, players: i32, g: usize): void {
  const d4 = d & ~3;
  const xRow = row32(x, r, d);
  const pRow = row32(p, r, ldp);
  for (let j = 0; j < players; j++) {
    const gRow = row32(g, j, d);
    const weight = v128.load32_splat(at32(pRow, j));
    for (let c = 0; c < d4; c += 4) {
      const offset = <usize>c << 2;
      v128.store(gRow + offset, madd(weight, v128.load(xRow + offset), v128.load(gRow + offset)));
    }
    const scalarWeight = load<f32>(at32(pRow, j));
    for (let c = d4; c < d; c++) {
      store<f32>(at32(gRow, c), load<f32>(at32(gRow, c)) + scalarWeight * load<f32>(at32(xRow, c)));
    }
  }
}

/** G = Pᵀ X for `rows` rows of X (rows × d, centred) and `players` columns of P (row stride `ldp`); G is players × d. */
export function backproject(x: usize, rows: i32, d: i32, p: usize, ldp: i32, players: i32, g: usize): void {
  memory.fill(g, 0, (<usize>players * <usize>d) << 2);
  let r = 0;
  for (; r + 4 <= rows; r += 4) backprojectRows4(x, r, d, p, ldp, players, g);
  for (; r < rows; r++) backprojectRow(x, r, d, p, ldp, players, g);
}
