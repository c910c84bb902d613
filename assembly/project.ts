// Projections P = X Vᵀ: P[r, j] = Σ_c X[r, c] · V[j, c], for rows of X already centred (center.ts).
//
// Each P[r, j] is computed by the same sequence of operations on every path: four lane sums (`madd`) over the
// first d & ~3 columns, folded by `hsum`, then the tail columns added one by one. So a value has the same bits
// whether it came from a 4-row block, a remainder row, or the fused data-term kernel.

import { at32, hsum, madd, row32 } from './simd';

/** Adds the tail columns [d4, d) to a folded lane sum, in column order. */
@inline function finishDot(sum: f32, xRow: usize, vRow: usize, d4: i32, d: i32): f32 {
  for (let c = d4; c < d; c++) sum += load<f32>(at32(xRow, c)) * load<f32>(at32(vRow, c));
  return sum;
}

/** P[r, j] for one row r and every player. */
@inline export function projectRow(x: usize, r: i32, d: i32, v: usize, players: i32, p: usize, ldp: i32): void {
  const d4 = d & ~3;
  const xRow = row32(x, r, d);
  const pRow = row32(p, r, ldp);
  for (let j = 0; j < players; j++) {
    const vRow = row32(v, j, d);
    let acc = f32x4.splat(0);
    for (let c = 0; c < d4; c += 4) {
      const offset = <usize>c << 2;
      acc = madd(v128.load(xRow + offset), v128.load(vRow + offset), acc);
    }
    store<f32>(at32(pRow, j), finishDot(hsum(acc), xRow, vRow, d4, d));
  }
}

/**
 * P[r..r+3, j] for four rows and every player, two players at a time: each load of X feeds two players and each
 * load of V four rows, with the eight sums in registers.
 */
@inline export function projectRows4(x: usize, r: i32, d: i32, v: usize, players: i32, p: usize, ldp: i32): void {
  const d4 = d & ~3;
  const x0 = row32(x, r, d), x1 = row32(x, r + 1, d), x2 = row32(x, r + 2, d), x3 = row32(x, r + 3, d);
  const p0 = row32(p, r, ldp), p1 = row32(p, r + 1, ldp), p2 = row32(p, r + 2, ldp), p3 = row32(p, r + 3, ldp);
  let j = 0;
  for (; j + 2 <= players; j += 2) {
    const va = row32(v, j, d), vb = row32(v, j + 1, d);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    for (let c = 0; c < d4; c += 4) {
      const offset = <usize>c << 2;
      const wa = v128.load(va + offset), wb = v128.load(vb + offset);
      let xc = v128.load(x0 + offset);
      a0 = madd(xc, wa, a0); b0 = madd(xc, wb, b0);
      xc = v128.load(x1 + offset);
      a1 = madd(xc, wa, a1); b1 = madd(xc, wb, b1);
      xc = v128.load(x2 + offset);
      a2 = madd(xc, wa, a2); b2 = madd(xc, wb, b2);
      xc = v128.load(x3 + offset);
      a3 = madd(xc, wa, a3); b3 = madd(xc, wb, b3);
    }
    store<f32>(at32(p0, j), finishDot(hsum(a0), x0, va, d4, d));
    store<f32>(at32(p1, j), finishDot(hsum(a1), x1, va, d4, d));
    store<f32>(at32(p2, j), finishDot(hsum(a2), x2, va, d4, d));
    store<f32>(at32(p3, j), finishDot(hsum(a3), x3, va, d4, d));
    store<f32>(at32(p0, j + 1), finishDot(hsum(b0), x0, vb, d4, d));
    store<f32>(at32(p1, j + 1), finishDot(hsum(b1), x1, vb, d4, d));
    store<f32>(at32(p2, j + 1), finishDot(hsum(b2), x2, vb, d4, d));
    store<f32>(at32(p3, j + 1), finishDot(hsum(b3), x3, vb, d4, d));
  }
  if (j < players) {
    const va = row32(v, j, d);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let c = 0; c < d4; c += 4) {
      const offset = <usize>c << 2;
      const wa = v128.load(va + offset);
      a0 = madd(v128.load(x0 + offset), wa, a0);
      a1 = madd(v128.load(x1 + offset), wa, a1);
      a2 = madd(v128.load(x2 + offset), wa, a2);
      a3 = madd(v128.load(x3 + offset), wa, a3);
    }
    store<f32>(at32(p0, j), finishDot(hsum(a0), x0, va, d4, d));
    store<f32>(at32(p1, j), finishDot(hsum(a1), x1, va, d4, d));
    store<f32>(at32(p2, j), finishDot(hsum(a2), x2, va, d4, d));
    store<f32>(at32(p3, j), finishDot(hsum(a3), x3, va, d4, d));
  }
}

/**
 * P = X Vᵀ for `rows` rows of X (rows × d, centred) and `players` rows of V (players × d). P has `ldp` floats per
 * row, so a device can fill its own columns of a shared k-wide P.
 */
export function project(x: usize, rows: i32, d: i32, v: usize, players: i32, p: usize, ldp: i32): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) projectRows4(x, r, d, v, players, p, ldp);
  for (; r < rows; r++) projectRow(x, r, d, v, players, p, ldp);
}
