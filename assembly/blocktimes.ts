// Products of a block of a dense float32 matrix with rows of vectors, written as rows: the γ-EigenGame players'
// images A W and B W, block by block (CCA's and PLS's A is the cross-covariance blocks of one joint covariance, B its
// diagonal blocks). Each device computes whole output elements (its rows of the block), so the bits do not depend
// on how the rows are split.
//
// Each element is computed as project.ts computes one (four lane sums through `madd`, folded by `hsum`, then the
// tail columns in order), whether its row falls in a block of four or in the remainder.

import { at32, hsum, madd, row32 } from './simd';

/** Adds the tail columns [c4, cols) to a folded lane sum, in column order. */
@inline function finishDot(sum: f32, mRow: usize, wRow: usize, c4: i32, cols: i32): f32 {
  for (let c = c4; c < cols; c++) sum += load<f32>(at32(mRow, c)) * load<f32>(at32(wRow, c));
  return sum;
}

/** out[j, r] for one row r of the block and every vector j. */
@inline function timesRow(m: usize, r: i32, cols: i32, ldm: i32, w: usize, count: i32, ldw: i32, out: usize, ldo: i32): void {
  const c4 = cols & ~3;
  const mRow = row32(m, r, ldm);
  for (let j = 0; j < count; j++) {
    const wRow = row32(w, j, ldw);
    let acc = f32x4.splat(0);
    for (let c = 0; c < c4; c += 4) {
      const offset = <usize>c << 2;
      acc = madd(v128.load(mRow + offset), v128.load(wRow + offset), acc);
    }
    store<f32>(at32(row32(out, j, ldo), r), finishDot(hsum(acc), mRow, wRow, c4, cols));
  }
}

/** out[j, r..r+3] for four rows of the block, two vectors at a time (eight sums in registers). */
@inline function timesRows4(m: usize, r: i32, cols: i32, ldm: i32, w: usize, count: i32, ldw: i32, out: usize, ldo: i32): void {
  const c4 = cols & ~3;
  const m0 = row32(m, r, ldm), m1 = row32(m, r + 1, ldm), m2 = row32(m, r + 2, ldm), m3 = row32(m, r + 3, ldm);
  let j = 0;
  for (; j + 2 <= count; j += 2) {
    const wa = row32(w, j, ldw), wb = row32(w, j + 1, ldw);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    for (let c = 0; c < c4; c += 4) {
      const offset = <usize>c << 2;
      const xa = v128.load(wa + offset), xb = v128.load(wb + offset);
      let mc = v128.load(m0 + offset);
      a0 = madd(mc, xa, a0); b0 = madd(mc, xb, b0);
      mc = v128.load(m1 + offset);
      a1 = madd(mc, xa, a1); b1 = madd(mc, xb, b1);
      mc = v128.load(m2 + offset);
      a2 = madd(mc, xa, a2); b2 = madd(mc, xb, b2);
      mc = v128.load(m3 + offset);
      a3 = madd(mc, xa, a3); b3 = madd(mc, xb, b3);
    }
    const outA = row32(out, j, ldo), outB = row32(out, j + 1, ldo);
    store<f32>(at32(outA, r), finishDot(hsum(a0), m0, wa, c4, cols));
    store<f32>(at32(outA, r + 1), finishDot(hsum(a1), m1, wa, c4, cols));
    store<f32>(at32(outA, r + 2), finishDot(hsum(a2), m2, wa, c4, cols));
    store<f32>(at32(outA, r + 3), finishDot(hsum(a3), m3, wa, c4, cols));
    store<f32>(at32(outB, r), finishDot(hsum(b0), m0, wb, c4, cols));
    store<f32>(at32(outB, r + 1), finishDot(hsum(b1), m1, wb, c4, cols));
    store<f32>(at32(outB, r + 2), finishDot(hsum(b2), m2, wb, c4, cols));
    store<f32>(at32(outB, r + 3), finishDot(hsum(b3), m3, wb, c4, cols));
  }
  if (j < count) {
    const wa = row32(w, j, ldw);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let c = 0; c < c4; c += 4) {
      const offset = <usize>c << 2;
      const xa = v128.load(wa + offset);
      a0 = madd(v128.load(m0 + offset), xa, a0);
      a1 = madd(v128.load(m1 + offset), xa, a1);
      a2 = madd(v128.load(m2 + offset), xa, a2);
      a3 = madd(v128.load(m3 + offset), xa, a3);
    }
    const outA = row32(out, j, ldo);
    store<f32>(at32(outA, r), finishDot(hsum(a0), m0, wa, c4, cols));
    store<f32>(at32(outA, r + 1), finishDot(hsum(a1), m1, wa, c4, cols));
    store<f32>(at32(outA, r + 2), finishDot(hsum(a2), m2, wa, c4, cols));
    store<f32>(at32(outA, r + 3), finishDot(hsum(a3), m3, wa, c4, cols));
  }
}

/**
 * out[j · ldo + r] = Σ_{c < cols} M[r · ldm + c] · W[j · ldw + c] for the block's `rows` rows and `count` vectors:
 * M W ᵀ transposed, i.e. the images of the vectors (restricted to the block's columns) in the block's rows.
 */
export function blockTimes(m: usize, rows: i32, cols: i32, ldm: i32, w: usize, count: i32, ldw: i32, out: usize, ldo: i32): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) timesRows4(m, r, cols, ldm, w, count, ldw, out, ldo);
  for (; r < rows; r++) timesRow(m, r, cols, ldm, w, count, ldw, out, ldo);
}
